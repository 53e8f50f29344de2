"""Who may take part in a topic, decided against the register at the moment of acting."""

from django.contrib.auth.models import AnonymousUser, User
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.forum.models import Phase, Topic
from eloket.register.models import Person
from eloket.register.selectors import age_on


class NotEligible(ApplicationError):
    code = "not_eligible"
    status = 403


def eligible_person(topic: Topic, user: User | AnonymousUser) -> Person:
    """The register person behind `user` if they may act on `topic` now."""
    from eloket.identity.selectors import citizen_person_in

    if not user.is_authenticated:
        raise NotEligible(_("Log in with your eID to take part."), code="not_authenticated")
    person = citizen_person_in(user, topic.municipality)
    if person is None:
        raise NotEligible(
            _("Only citizens logged in with their eID take part."), code="not_a_citizen"
        )
    if not getattr(person, "resident", False):  # read alongside by citizen_person_in
        raise NotEligible(
            _("Only residents of %(municipality)s take part in this topic.")
            % {"municipality": topic.municipality.display_name()},
            code="not_resident",
        )
    age = age_on(person)
    if age is None or age < topic.min_age:
        raise NotEligible(
            _("You must be %(age)d or older to take part in this topic.") % {"age": topic.min_age},
            code="too_young",
        )
    return person


def require_open(topic: Topic) -> None:
    if topic.imported:
        raise NotEligible(
            _("This topic is an archive of a consultation held elsewhere."), code="archived"
        )
    if topic.phase != Phase.OPEN:
        raise NotEligible(
            _("This topic is not open for opinions (it is %(phase)s).")
            % {"phase": Phase(topic.phase).label},
            code="topic_not_open",
        )
