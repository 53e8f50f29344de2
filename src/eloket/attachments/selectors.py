"""Reads of attachments: within one municipality, for the case's requester or the
officers who may handle it. Anyone else is told nothing (NotFound, whether the case or
the file exists or not). An officer opening a file is written to the requester's access
log, with its purpose."""

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from eloket.attachments.models import Attachment
from eloket.cases.models import Case
from eloket.cases.selectors import case_for_officer, case_for_requester
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import NotFound
from eloket.common.permissions import (
    Permission,
    PermissionDenied,
    authorize,
    same_municipality,
)
from eloket.identity.selectors import citizen_person
from eloket.register.access_log import access_log_write
from eloket.register.models import DataCategory


def _no_such_file() -> NotFound:
    return NotFound(_("There is no such file."))


def attachments_of_case(*, municipality: Any, case: Case) -> QuerySet[Attachment]:
    """Every file of the case: its form's and its messages'."""
    return Attachment.objects.filter(municipality=municipality, case=case)


def attachments_of_draft(*, municipality: Any, user: Any, draft_token: str) -> QuerySet[Attachment]:
    """The files of a citizen's draft (only theirs)."""
    if not draft_token:
        return Attachment.objects.none()
    return Attachment.objects.filter(
        municipality=municipality,
        draft_token=draft_token,
        case__isnull=True,
        uploaded_by=user,
    )


def _of_case(municipality: Any, case: Case, public_id: str) -> Attachment:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise _no_such_file() from None
    found = (
        attachments_of_case(municipality=municipality, case=case)
        .filter(public_id=key)
        .select_related("case")
        .first()
    )
    if found is None:
        raise _no_such_file()
    return found


def attachment_for_requester(
    *, municipality: Any, user: Any, tracking_code: str, public_id: str
) -> Attachment:
    """A file of the citizen's own request (their own reading is not logged)."""
    case = case_for_requester(municipality=municipality, user=user, tracking_code=tracking_code)
    return _of_case(municipality, case, public_id)


def attachment_opened(*, municipality: Any, actor: Actor, case: Case, public_id: str) -> Attachment:
    """A file of `case` as someone other than its requester opens it: an officer who may
    handle the case (else NotFound), written to the requester's access log."""
    if actor.kind == ActorKind.CITIZEN:
        if actor.user_id != case.requester_id:
            raise _no_such_file()
        return _of_case(municipality, case, public_id)
    try:
        same_municipality(municipality, case)
        authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    except (PermissionDenied, NotFound):
        raise _no_such_file() from None
    attachment = _of_case(municipality, case, public_id)
    person = citizen_person(case.requester)
    if person is not None:
        access_log_write(
            person=person,
            actor=actor,
            data=(DataCategory.ATTACHMENTS,),
            purpose=_("Opening a file of request %(code)s") % {"code": case.display_code},
            case_ref=f"case:{case.tracking_code}",
        )
    return attachment


def attachment_for_officer(
    *, municipality: Any, actor: Actor, tracking_code: str, public_id: str
) -> Attachment:
    """`attachment_opened` from a tracking code: NotFound for a case the officer may not
    handle, as for one that does not exist."""
    try:
        case = case_for_officer(municipality=municipality, actor=actor, tracking_code=tracking_code)
    except (PermissionDenied, NotFound):
        raise _no_such_file() from None
    return attachment_opened(municipality=municipality, actor=actor, case=case, public_id=public_id)
