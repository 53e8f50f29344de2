"""The one permission check every service calls before it writes tenant data.

`authorize(actor, municipality, permission)` decides from the actor alone (who they are,
for which municipality, in which role and department), so a view, an API endpoint, a
background task and an incoming message all meet the same check. Object-level rules
(is this citizen the requester of this case? do they live here?) stay with the service
that knows the object; this check is the floor under them.

- Officers act only for the municipality their role is in, with at least the role the
  permission needs; where a department is named, a clerk must work in it (heads of
  department and administrators act for every department).
- The platform's own processes (`Actor.system`, `Actor.for_municipality`) act for the
  one municipality they name, never for another, and never without one.
- Citizens hold only the citizen permissions; the service then checks the object.
"""

from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError


class PermissionDenied(ApplicationError):
    code = "forbidden"
    status = 403


# Officers' roles, lowest first; a higher role may do what a lower one may.
# An alderman (or the mayor) ranks with a head of department: reads and signs the
# requests of every department, configures nothing.
ROLE_RANK = {"clerk": 1, "head": 2, "alderman": 2, "admin": 3}


def role_at_least(role: str, minimum: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[minimum]


class Permission(StrEnum):
    # Citizens (the service checks the object: the requester, residence, age).
    REQUEST = "request"  # start a request, act on one's own request
    PARTICIPATE = "participate"  # forum, petitions
    # Officers.
    CASE_HANDLE = "case.handle"  # work a request: decide, ask, message, take it
    CASE_ASSIGN = "case.assign"  # give a request to a colleague
    DOCUMENT_REVOKE = "document.revoke"
    POSTAL = "postal"  # print and post documents
    REGISTER_READ = "register.read"  # open a person's record, with a purpose
    REGISTER_WRITE = "register.write"  # import, moves, deaths
    PETITION_DECIDE = "petition.decide"  # admissibility and the answer
    FORUM_MODERATE = "forum.moderate"
    FORUM_MANAGE = "forum.manage"  # topics, phases, selections, results, imports
    OUTBOX_RETRY = "outbox.retry"  # send a failed message again
    MESSAGES = "messages"  # the log of messages with the national registries, resending
    CONFIGURE = "configure"  # case types, roles, settings of the municipality


CITIZEN_PERMISSIONS = frozenset({Permission.REQUEST, Permission.PARTICIPATE})
MINIMUM_ROLE: dict[Permission, str] = {
    Permission.CASE_HANDLE: "clerk",
    Permission.CASE_ASSIGN: "head",
    Permission.DOCUMENT_REVOKE: "clerk",
    Permission.POSTAL: "clerk",
    Permission.REGISTER_READ: "clerk",
    Permission.REGISTER_WRITE: "admin",
    Permission.PETITION_DECIDE: "clerk",
    Permission.FORUM_MODERATE: "clerk",
    Permission.FORUM_MANAGE: "clerk",
    Permission.OUTBOX_RETRY: "clerk",
    Permission.MESSAGES: "admin",
    Permission.CONFIGURE: "admin",
}


def acts_for(actor: Actor, municipality: Any) -> bool:
    """Whether the actor (officer or platform process) is bound to this municipality."""
    return actor.municipality is not None and actor.municipality.pk == municipality.pk


def authorize(
    actor: Actor, municipality: Any, permission: Permission, *, department: str = ""
) -> None:
    """Return if `actor` may do `permission` in `municipality`; else PermissionDenied with
    a reason the person can read. Nothing is written either way."""
    if actor.kind == ActorKind.CITIZEN:
        if permission in CITIZEN_PERMISSIONS:
            return
        raise PermissionDenied(_("This is for the municipality's officers."))
    if not acts_for(actor, municipality):
        raise PermissionDenied(
            _("You do not act for %(name)s.") % {"name": municipality.display_name()}
        )
    if actor.kind in (ActorKind.SYSTEM, ActorKind.MUNICIPALITY):
        return
    if permission in CITIZEN_PERMISSIONS:
        raise PermissionDenied(_("Officers do not act as citizens here."))
    if not role_at_least(actor.role, MINIMUM_ROLE[permission]):
        raise PermissionDenied(_("Your role does not allow this."))
    if department and not role_at_least(actor.role, "head") and actor.department != department:
        raise PermissionDenied(
            _("This is handled by the department %(department)s.") % {"department": department}
        )


def authorize_platform(actor: Actor) -> None:
    """The platform operator's own acts (onboarding a municipality): the platform's
    processes that act for no municipality, such as `eloket tenant create`."""
    if actor.kind == ActorKind.SYSTEM and actor.municipality is None:
        return
    raise PermissionDenied(_("Only the platform operator does this."))


def may(actor: Actor, municipality: Any, permission: Permission, *, department: str = "") -> bool:
    try:
        authorize(actor, municipality, permission, department=department)
    except PermissionDenied:
        return False
    return True


def same_municipality(municipality: Any, *objects: Any) -> None:
    """Refuse objects of another municipality than the one the call is for (a view that
    passed the wrong object, a task with a stale id): as if they did not exist."""
    from eloket.common.errors import NotFound

    for obj in objects:
        if obj is not None and obj.municipality_id != municipality.pk:
            raise NotFound(_("This does not exist here."))
