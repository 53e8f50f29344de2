"""Plain-language texts of a petition's answer case (message ids)."""

from django.utils.translation import gettext_noop

PETITION_RECEIVED = gettext_noop("The municipality received your petition “%(title)s”.")
PETITION_THRESHOLD = gettext_noop(
    "The petition “%(title)s” reached %(count)s signatures: %(municipality)s must answer it."
)
PETITION_TAKEN_UP = gettext_noop("The municipality is preparing its answer.")
PETITION_ANSWERED = gettext_noop("The municipality published its answer.")
