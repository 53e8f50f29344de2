"""Plain-language texts of the timeline. They are stored untranslated (message id and
parameters) and shown in each reader's language; gettext_noop marks them for makemessages."""

from django.utils.translation import gettext_noop

RECEIVED = gettext_noop("We received your request for %(what)s.")
IN_REVIEW = gettext_noop("An officer of %(municipality)s will check your request.")
APPROVED_AUTOMATICALLY = gettext_noop(
    "The population register holds everything needed: your request was approved at once."
)
APPROVED = gettext_noop("Your request was approved.")
REJECTED = gettext_noop("Your request was rejected.")
NEEDS_INFORMATION = gettext_noop("We need more information from you to go on.")
INFORMATION_RECEIVED = gettext_noop("We received your answer and go on with your request.")
ISSUED = gettext_noop("Your document %(document)s was made and sealed.")
DELIVERED_DOWNLOAD = gettext_noop("Your document is ready to download.")
DELIVERED_EMAIL = gettext_noop("Your document was sent by e-mail to %(email)s.")
DELIVERED_POST = gettext_noop("Your document was posted to your address.")
CANCELLED = gettext_noop("You cancelled your request.")
CANCELLED_BY_MUNICIPALITY = gettext_noop("The municipality cancelled your request.")
PETITION_THRESHOLD = gettext_noop(
    "The petition “%(title)s” reached %(count)s signatures: %(municipality)s must answer it."
)
PETITION_TAKEN_UP = gettext_noop("The municipality is preparing its answer.")
PETITION_ANSWERED = gettext_noop("The municipality published its answer.")
