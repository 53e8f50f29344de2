"""Signers are told when the municipality answers a petition."""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import EmailMessage
from django.tasks import task
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.tenants.links import municipality_base_url


@task()
def send_answer(petition_id: int) -> None:
    from eloket.forum.notify import language_of
    from eloket.petitions.models import Petition, Signature

    petition = Petition.objects.select_related("municipality").get(pk=petition_id)
    municipality = petition.municipality
    url = f"{municipality_base_url(municipality)}petitions/{petition.pk}"
    users = User.objects.filter(
        pk__in=Signature.objects.filter(petition=petition).values("user")
    ).exclude(email="")
    for user in users:
        with translation.override(language_of(user, municipality.default_language)):
            name = municipality.display_name()
            text = _("%(municipality)s answered the petition “%(title)s” that you signed.") % {
                "municipality": name,
                "title": petition.title,
            }
            body = "\n\n".join([_("Hello,"), text, url, _("Kind regards,") + "\n" + name])
            EmailMessage(text[:200], body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
