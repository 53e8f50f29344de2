"""E-mails to citizens about their requests: on every step of a case's timeline, one
e-mail in the language they used, written to the outbox in the same transaction as the
step (sent by the worker, retried when the mail server fails). Notifications only
listen: sending never changes a case.

No national number ever goes into an e-mail.
"""

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.cases.display import case_url, history_text
from eloket.cases.events import CaseListener, case_listeners
from eloket.cases.models import Case, StatusChange
from eloket.outbox.email import email_put


@case_listeners.register("notifications.email")
class StatusEmail(CaseListener):
    verbose_name = "e-mail the requester about every step"

    def changed(self, case: Case, change: StatusChange) -> None:
        if not case.contact_email:
            return
        with translation.override(case.language):
            municipality = case.municipality.display_name(case.language)
            status = case.case_type.status_name(change.to_status)
            subject = _("%(municipality)s: your request %(code)s is %(status)s") % {
                "municipality": municipality,
                "code": case.display_code,
                "status": status,
            }
            body = render_to_string(
                "notifications/status_change.txt",
                {
                    "case": case,
                    "change": change,
                    "text": history_text(change, case),
                    "url": case_url(case),
                    "municipality": municipality,
                    "status": status,
                },
            )
        email_put(
            municipality=case.municipality,
            to=case.contact_email,
            subject=subject,
            body=body,
            ref=f"case:{case.tracking_code}",
        )
