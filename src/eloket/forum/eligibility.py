"""Who may take part in a topic (identity/eligibility.py decides, with the topic's
minimum age), and whether the topic takes part now."""

from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.permissions import Permission, authorize
from eloket.forum.models import Phase, Topic
from eloket.identity.eligibility import NotEligible, eligible_resident
from eloket.register.models import Person

__all__ = ["NotEligible", "eligible_person", "require_open"]


def eligible_person(topic: Topic, actor: Actor) -> Person:
    """The register person behind the citizen `actor` if they may act on `topic` now."""
    authorize(actor, topic.municipality, Permission.PARTICIPATE)
    return eligible_resident(
        actor=actor,
        municipality=topic.municipality,
        min_age=topic.min_age,
        not_resident=_("Only residents of %(municipality)s take part in this topic.")
        % {"municipality": topic.municipality.display_name()},
        too_young=_("You must be %(age)d or older to take part in this topic.")
        % {"age": topic.min_age},
    )


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
