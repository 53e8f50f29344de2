"""E-mails to citizens whose register data the national register changed (issue 14,
point 4): a mutation applied to their record (a move, a move in or out, a change of name,
a marriage) tells them what changed and that certificates attesting the old data no
longer hold, in their language, when Eloket knows their e-mail address. Written to the
outbox in the transaction that applies the mutation. Births and deaths tell nobody here:
the newborn has no account, and the civil-status office writes to the family.

No national number ever goes into an e-mail."""

from typing import Any

from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from eloket.messaging.inbox import AppliedListener, applied_listeners
from eloket.messaging.models import RegistryMessage
from eloket.outbox.email import email_put

CHANGES = {
    "address_change": gettext_noop("your address changed"),
    "moved_in": gettext_noop("you moved into the municipality"),
    "moved_out": gettext_noop("you moved out of the municipality"),
    "name_change": gettext_noop("your name changed"),
    "marriage": gettext_noop("your marriage was recorded"),
}


@applied_listeners.register("notifications.register_change")
class RegisterChangeEmail(AppliedListener):
    verbose_name = "e-mail the citizen whose register data changed"

    def applied(self, message: RegistryMessage, body: dict[str, Any]) -> None:
        import datetime as dt

        from django.contrib.auth.models import User

        from eloket.identity.models import Citizen
        from eloket.identity.selectors import preferred_language
        from eloket.tenants.links import municipality_base_url

        change = CHANGES.get(message.kind)
        municipality = message.municipality
        if change is None or municipality is None:
            return
        number = body.get("NationalNumber") or (body.get("Person") or {}).get("NationalNumber")
        citizen = Citizen.objects.filter(country=municipality.country, national_id=number).first()
        user = User.objects.filter(pk=citizen.user_id).first() if citizen else None
        if user is None or not user.email:
            return
        language = preferred_language(user.pk, municipality.default_language)
        with translation.override(language):
            name = municipality.display_name(language)
            subject = _("%(municipality)s: your data in the population register changed") % {
                "municipality": name
            }
            on = formats.date_format(dt.date.fromisoformat(str(body["EffectiveDate"])))
            text = render_to_string(
                "notifications/register_change.txt",
                {
                    "municipality": name,
                    "change": _(change),
                    "on": on,
                    "url": municipality_base_url(municipality),
                },
            )
        email_put(
            municipality=municipality,
            to=user.email,
            subject=subject,
            body=text,
            ref=f"message:{message.pk}",
        )
