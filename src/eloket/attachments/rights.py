"""Who may send files: to a case, its requester or an officer who may handle it; to a
form draft, the citizen who fills it in (the owner of its files so far)."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.attachments.models import Attachment
from eloket.cases.models import Case
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, PermissionDenied, authorize, same_municipality

DRAFT_TOKEN_MIN = 16


def check_may_attach(actor: Actor, municipality: Any, case: Case) -> None:
    """The case's requester, or an officer who may handle its type (else NotFound for a
    citizen, who is not told whether the case exists, PermissionDenied for an officer)."""
    same_municipality(municipality, case)
    if actor.kind == ActorKind.CITIZEN:
        authorize(actor, municipality, Permission.REQUEST)
        if actor.user_id is None or actor.user_id != case.requester_id:
            raise NotFound(_("You have no request with this tracking code."))
        return
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)


def check_may_attach_to_draft(actor: Actor, municipality: Any, draft_token: str) -> None:
    """A draft's files belong to the citizen who fills it in, at one municipality; a
    draft already submitted takes no more."""
    if actor.kind != ActorKind.CITIZEN or actor.user_id is None:
        raise PermissionDenied(_("This is for citizens logged in with their eID."))
    authorize(actor, municipality, Permission.REQUEST)
    if len(draft_token) < DRAFT_TOKEN_MIN:
        raise ApplicationError(_("This draft is unknown."), code="unknown_draft")
    others = Attachment.objects.filter(draft_token=draft_token).exclude(
        municipality=municipality, uploaded_by_id=actor.user_id, case__isnull=True
    )
    if others.exists():
        raise NotFound(_("This draft is unknown."))
