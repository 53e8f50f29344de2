"""Who may take part (the forum, petitions): a citizen logged in with their eID, living
in the municipality today, old enough. Decided against the register at the moment of
acting, in one place for every kind of participation."""

from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError
from eloket.register.ages import age_on
from eloket.register.models import Person


class NotEligible(ApplicationError):
    code = "not_eligible"
    status = 403


def participant_actor(user: User | AnonymousUser) -> Actor:
    """The visitor as a citizen who may act, or why not (not logged in, not a citizen)."""
    from eloket.identity.selectors import citizen_actor_of

    if not user.is_authenticated:
        raise NotEligible(_("Log in with your eID to take part."), code="not_authenticated")
    actor = citizen_actor_of(user)
    if actor is None:
        raise NotEligible(
            _("Only citizens logged in with their eID take part."), code="not_a_citizen"
        )
    return actor


def eligible_resident(
    *,
    actor: Actor,
    municipality: Any,
    min_age: int,
    not_resident: str,
    too_young: str,
) -> Person:
    """The register person behind a citizen actor, if they live in `municipality` today
    and are at least `min_age`; else NotEligible with the caller's words for why."""
    from eloket.identity.selectors import citizen_person_in

    person = citizen_person_in(actor, municipality) if actor.kind == ActorKind.CITIZEN else None
    if person is None:
        raise NotEligible(
            _("Only citizens logged in with their eID take part."), code="not_a_citizen"
        )
    if not getattr(person, "resident", False):  # read alongside by citizen_person_in
        raise NotEligible(not_resident, code="not_resident")
    age = age_on(person)
    if age is None or age < min_age:
        raise NotEligible(too_young, code="too_young")
    return person
