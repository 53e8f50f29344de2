"""E-mail through the outbox: `email_put` writes one e-mail (rendered, in the reader's
language) in the caller's transaction; the `email` kind sends it with Django's mailer.

Attachments are not copied into the outbox: a message names them by a registered source
and a reference (`attachment_sources`: documents register "document", a sealed PDF by its
code), and they are read when the e-mail goes out.
"""

import datetime as dt
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage

from eloket.common.registry import Plugin, Registry
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.outbox.queue import outbox_put


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str


class AttachmentSource(Plugin):
    def load(self, ref: str) -> Attachment:
        raise NotImplementedError


attachment_sources: Registry[AttachmentSource] = Registry(
    "mail_attachments", description="source of e-mail attachments"
)


def email_put(
    *,
    municipality: Any,
    to: str,
    subject: str,
    body: str,
    ref: str = "",
    attachments: list[tuple[str, str]] | None = None,
    not_before: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> OutboxMessage | None:
    """Queue one e-mail (none when there is no address). `attachments`: (source, ref);
    `extra`: more of the payload (kept, not sent: e.g. what a later e-mail merges)."""
    if not to:
        return None
    for source, _ref in attachments or []:
        attachment_sources[source]  # an unknown source fails now, not when sending
    return outbox_put(
        municipality=municipality,
        kind="email",
        ref=ref,
        not_before=not_before,
        payload={
            **(extra or {}),
            "to": [to],
            "subject": subject[:250].replace("\n", " "),
            "body": body,
            "attachments": [list(pair) for pair in attachments or []],
        },
    )


def send_email(payload: dict[str, Any]) -> None:
    message = EmailMessage(
        payload["subject"],
        payload["body"],
        settings.DEFAULT_FROM_EMAIL,
        list(payload["to"]),
        reply_to=list(payload.get("reply_to") or []),
    )
    for source, ref in payload.get("attachments", []):
        attachment = attachment_sources[source].load(ref)
        message.attach(attachment.filename, attachment.content, attachment.mimetype)
    message.send()


def smtp_refused_for_good(exc: Exception) -> bool:
    """5xx answers are final (an unknown mailbox); 4xx and lost connections are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return False


@outbox_kinds.register("email")
class Email(OutboxKind):
    verbose_name = "e-mail"

    def deliver(self, message: OutboxMessage) -> None:
        send_email(message.payload)

    def is_permanent(self, exc: Exception) -> bool:
        return smtp_refused_for_good(exc)

    def describe(self, message: OutboxMessage) -> str:
        return str(message.payload.get("subject", ""))
