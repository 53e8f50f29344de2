"""Who may make a transition of a case: read from its type's definition and the actor.
The engine checks it before every transition; pages and the API ask it to offer only the
actions the person may take."""

from typing import Any

from django.utils.translation import gettext as _

from eloket.cases.definitions import TransitionSpec
from eloket.cases.models import Case
from eloket.common.actors import Actor, ActorKind
from eloket.common.permissions import (
    ROLE_RANK,
    Permission,
    PermissionDenied,
    authorize,
    role_at_least,
)


def may_make(actor: Actor, municipality: Any, case: Case, transition: TransitionSpec) -> bool:
    try:
        check_may_make(actor, municipality, case, transition)
    except PermissionDenied:
        return False
    return True


def check_may_make(actor: Actor, municipality: Any, case: Case, transition: TransitionSpec) -> None:
    """Whether `actor` may make `transition` on `case` (PermissionDenied if not)."""
    by = set(transition.by)
    if actor.kind == ActorKind.CITIZEN:
        authorize(actor, municipality, Permission.REQUEST)
        if "requester" in by and actor.user_id == case.requester_id:
            return
        raise PermissionDenied(_("Only the municipality can do this."))
    if actor.kind in (ActorKind.SYSTEM, ActorKind.MUNICIPALITY):
        authorize(actor, municipality, Permission.CASE_HANDLE)
        if "system" in by:
            return
        raise PermissionDenied(_("An officer decides this."))
    roles = [who for who in by if who in ROLE_RANK]
    if not roles:
        raise PermissionDenied(_("This is not for officers to do."))
    authorize(
        actor,
        municipality,
        Permission.CASE_HANDLE,
        department=transition.department or case.case_type.department,
    )
    if not role_at_least(actor.role, min(roles, key=ROLE_RANK.__getitem__)):
        raise PermissionDenied(_("Your role does not allow this."))


def check_audience(actor: Actor, municipality: Any, case_type: Any) -> None:
    """Whether a citizen may start a request of this kind: one open to anyone with an eID;
    else they must live here (a citizen of another municipality is a visitor), and for
    `adult_residents` be 18 or over."""
    from django.utils import timezone

    from eloket.cases.models import Audience
    from eloket.identity.selectors import citizen_person_in

    if case_type.audience == Audience.ANYONE:
        return
    person = citizen_person_in(actor, municipality)
    if person is None or not getattr(person, "resident", False):
        raise PermissionDenied(
            _(
                "%(kind)s is for residents of %(name)s. You do not live here, so you are a "
                "visitor: you can verify documents and ask for what is open to anyone."
            )
            % {"kind": case_type.name(), "name": municipality.display_name()},
            code="residents_only",
        )
    if case_type.audience == Audience.ADULT_RESIDENTS:
        born, today = person.birth_date, timezone.localdate()
        if (
            born is None
            or (today.year - born.year - ((today.month, today.day) < (born.month, born.day))) < 18
        ):
            raise PermissionDenied(
                _("%(kind)s is for residents of 18 and over.") % {"kind": case_type.name()},
                code="adults_only",
            )
