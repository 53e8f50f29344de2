"""Plain-language texts of the timeline that the engine itself writes. They are stored
untranslated (message id and parameters) and shown in each reader's language;
gettext_noop marks them for makemessages. Kinds keep their own texts in their own apps."""

from django.utils.translation import gettext_noop

RECEIVED = gettext_noop("We received your request for %(what)s.")
DELIVERED_DOWNLOAD = gettext_noop("Your document is ready to download.")
DELIVERED_EMAIL = gettext_noop("Your document was sent by e-mail to %(email)s.")
DELIVERED_POST = gettext_noop("Your document was posted to your address.")
