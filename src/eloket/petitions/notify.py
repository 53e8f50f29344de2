"""Signers are told when the municipality answers a petition: one e-mail each, in their
language, through the outbox (the fan-out itself is an outbox message)."""

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.identity.selectors import preferred_language
from eloket.outbox.email import email_put
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.tenants.links import municipality_base_url


@outbox_kinds.register("petitions.answered")
class TellSigners(OutboxKind):
    verbose_name = "tell the signers of an answered petition"
    transactional = True

    def deliver(self, message: OutboxMessage) -> None:
        from eloket.petitions.models import Petition, Signature

        petition = Petition.objects.select_related("municipality").get(
            pk=message.payload["petition"]
        )
        municipality = petition.municipality
        url = f"{municipality_base_url(municipality)}petitions/{petition.pk}"
        users = User.objects.filter(
            pk__in=Signature.objects.filter(petition=petition).values("user")
        ).exclude(email="")
        for user in users:
            with translation.override(preferred_language(user.pk, municipality.default_language)):
                name = municipality.display_name(translation.get_language())
                text = _("%(municipality)s answered the petition “%(title)s” that you signed.") % {
                    "municipality": name,
                    "title": petition.title,
                }
                body = "\n\n".join([_("Hello,"), text, url, _("Kind regards,") + "\n" + name])
                email_put(
                    municipality=municipality,
                    to=user.email,
                    subject=text[:200],
                    body=body,
                    ref=f"petition:{petition.pk}",
                )
