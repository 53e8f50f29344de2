"""Plain-language texts of a certificate order's timeline (message ids; each reader sees
them in their own language)."""

from django.utils.translation import gettext_noop

IN_REVIEW = gettext_noop("An officer of %(municipality)s will check your request.")
APPROVED_AUTOMATICALLY = gettext_noop(
    "The population register holds everything needed: your request was approved at once."
)
APPROVED = gettext_noop("Your request was approved.")
REJECTED = gettext_noop("Your request was rejected.")
NEEDS_INFORMATION = gettext_noop("We need more information from you to go on.")
INFORMATION_RECEIVED = gettext_noop("We received your answer and go on with your request.")
ISSUED = gettext_noop("Your document %(document)s was made and sealed.")
CANCELLED = gettext_noop("You cancelled your request.")
