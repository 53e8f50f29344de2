"""E-mails to citizens about their requests, in the language they used, sent by the
background worker (django.tasks) after the change is committed.

No national number ever goes into an e-mail.
"""

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.cases.display import history_text
from eloket.cases.models import Case, Status, StatusChange
from eloket.cases.services import on_status_change
from eloket.tenants.links import municipality_base_url

log = logging.getLogger(__name__)


def order_url(case: Case) -> str:
    return f"{municipality_base_url(case.municipality)}orders/{case.tracking_code}"


@task()
def send_status_email(change_id: int) -> None:
    change = StatusChange.objects.select_related("case", "case__municipality").get(pk=change_id)
    case = change.case
    if not case.contact_email:
        return
    with translation.override(case.language):
        subject = _("%(municipality)s: your request %(code)s is %(status)s") % {
            "municipality": case.municipality.display_name(case.language),
            "code": case.display_code,
            "status": Status(change.to_status).label,
        }
        body = render_to_string(
            "notifications/status_change.txt",
            {
                "case": case,
                "change": change,
                "text": history_text(change),
                "url": order_url(case),
                "municipality": case.municipality.display_name(case.language),
                "status": Status(change.to_status).label,
            },
        )
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [case.contact_email]).send()


@task()
def send_document_email_task(case_id: int) -> None:
    from eloket.certificates.services import order_document, order_mark_emailed

    case = Case.objects.select_related("municipality").get(pk=case_id)
    document = order_document(case)
    if document is None or case.status != Status.ISSUED:
        return
    with translation.override(case.language):
        subject = _("%(municipality)s: your document %(code)s") % {
            "municipality": case.municipality.display_name(case.language),
            "code": document.display_code,
        }
        body = render_to_string(
            "notifications/document.txt",
            {
                "case": case,
                "document": document,
                "url": order_url(case),
                "verify_url": f"{settings.ELOKET_BASE_URL}/verify/{document.code}",
                "municipality": case.municipality.display_name(case.language),
            },
        )
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [case.contact_email])
    message.attach(
        f"{document.kind}-{document.display_code}.pdf", bytes(document.pdf), "application/pdf"
    )
    message.send()
    order_mark_emailed(case)


def send_document_email(*, case_id: int) -> None:
    send_document_email_task.enqueue(case_id)


def _status_changed(change: StatusChange) -> None:
    try:
        send_status_email.enqueue(change.pk)
    except Exception:  # a mail queue problem must not undo the change itself
        log.exception("could not queue the e-mail for change %s", change.pk)


on_status_change(_status_changed)
