"""Plain-language texts of a service request's timeline and the statuses of the default
workflow (message ids; each reader sees them in their own language). Several are the
certificate orders' own words, translated once for both."""

from django.utils.translation import gettext_noop

SUBMITTED = gettext_noop("We received your request for %(what)s.")
IN_REVIEW = gettext_noop("An officer of %(municipality)s will check your request.")
APPROVED = gettext_noop("Your request was approved.")
REJECTED = gettext_noop("Your request was rejected.")
NEEDS_INFORMATION = gettext_noop("We need more information from you to go on.")
INFORMATION_RECEIVED = gettext_noop("We received your answer and go on with your request.")
WITHDRAWN = gettext_noop("You withdrew your request.")
FILED_AT_COUNTER = gettext_noop("%(officer)s filed this request for you (%(channel)s).")
