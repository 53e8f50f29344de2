"""How the forum shows people and phases."""

from django.utils.translation import gettext as _

from eloket.forum.models import PHASE_ORDER, IdentityDisplay, Participant, Phase, Topic


def display_name(participant: Participant, topic: Topic) -> str:
    if topic.identity_display == IdentityDisplay.REAL_NAME and participant.verified:
        return participant.display_name
    return _("Participant %(code)s") % {"code": participant.pseudonym}


def phase_index(phase: str) -> int:
    return PHASE_ORDER.index(Phase(phase))
