"""Timeline texts of approval chains (message ids, translated when read). They name
who acted and in what role, never the approvers' internal comments."""

from django.utils.translation import gettext_noop

SUBMITTED = gettext_noop("A draft decision was submitted for approval.")
APPROVED_BY = gettext_noop("The draft decision was approved by %(name)s (%(role)s).")
APPROVED_FOR = gettext_noop(
    "The draft decision was approved by %(name)s for %(delegator)s (%(role)s)."
)
RETURNED = gettext_noop("The draft decision was returned for changes.")
ESCALATED = gettext_noop("The approval is late: the head of department was told.")
