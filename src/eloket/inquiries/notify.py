"""Objectors are told of the decision (issue 13, point 5): one e-mail each (where their
account has an address), in their language, with the decision's verification page,
which shows the decision and its answers. Called from the decision's hook, which the
outbox runs once after the commit (a retry rolls back what a failed run queued)."""

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.cases.models import Case
from eloket.documents.codes import verification_url
from eloket.documents.models import IssuedDocument
from eloket.identity.selectors import preferred_language
from eloket.inquiries.models import PublicInquiry
from eloket.outbox.email import email_put


def objectors_tell_decision(case: Case, *, granted: bool) -> int:
    """E-mail the standing objectors of the case's inquiry; how many were queued."""
    inquiry = PublicInquiry.objects.filter(case=case).select_related("municipality").first()
    if inquiry is None:
        return 0
    municipality = inquiry.municipality
    decision = (
        IssuedDocument.objects.filter(case=case, kind="service_decision").defer("pdf").first()
    )
    link = verification_url(decision.code) if decision is not None else ""
    users = User.objects.filter(
        pk__in=inquiry.objections.filter(withdrawn_at__isnull=True).values("objector")
    ).exclude(email="")
    queued = 0
    for user in users:
        with translation.override(preferred_language(user.pk, municipality.default_language)):
            language = translation.get_language()
            name = municipality.display_name(language)
            title = inquiry.title_in(language)
            text = (
                _("%(municipality)s granted “%(title)s”, to which you objected.")
                if granted
                else _("%(municipality)s refused “%(title)s”, to which you objected.")
            ) % {"municipality": name, "title": title}
            lines = [_("Hello,"), text]
            if link:
                lines.append(_("The decision answers every objection: %(link)s") % {"link": link})
            lines.append(_("Kind regards,") + "\n" + name)
            queued += (
                email_put(
                    municipality=municipality,
                    to=user.email,
                    subject=text[:200],
                    body="\n\n".join(lines),
                    ref=f"inquiry:{inquiry.pk}:decided",
                )
                is not None
            )
    return queued
