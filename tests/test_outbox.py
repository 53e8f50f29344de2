"""The outbox (issue 9): side effects are rows written with the change, sent after the
commit with attempts, back-off and a final failed state that the back office shows and
sends again. Against a real SMTP server on loopback (aiosmtpd) that fails on purpose."""

import datetime as dt
import socket
from io import StringIO

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from conftest import citizen_user, officer_login_client
from eloket.cases.models import Case
from eloket.certificates.services import OrderRequest, order_submit
from eloket.identity.selectors import citizen_actor_of
from eloket.outbox.delivery import backoff, outbox_deliver_due
from eloket.outbox.models import OutboxMessage, OutboxState


class FlakyMailServer:
    """An SMTP server that answers "try again later" to the first `fail_documents`
    e-mails carrying a PDF, and refuses the mailbox `nobody@example.org` for good."""

    def __init__(self) -> None:
        self.fail_documents = 0
        self.refuse = {"nobody@example.org"}
        self.received: list[bytes] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if b"application/pdf" in envelope.content and self.fail_documents > 0:
            self.fail_documents -= 1
            return "451 4.3.0 Mail server busy, try again later"
        self.received.append(envelope.content)
        return "250 OK"

    def documents(self) -> list[bytes]:
        return [m for m in self.received if b"application/pdf" in m]


@pytest.fixture
def mail_server(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = FlakyMailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }
    yield handler
    controller.stop()


def order_by_email(gent, family, email):
    jan = citizen_user(family["Jan"])
    with TestCase.captureOnCommitCallbacks(execute=True):
        case, _new = order_submit(
            actor=citizen_actor_of(jan),
            municipality=gent,
            order_request=OrderRequest(
                certificate_type="residence",
                subject=family["Jan"].national_id,
                language="en",
                delivery="email",
                contact_email=email,
            ),
        )
    case.refresh_from_db()
    return case


def test_the_mail_server_fails_twice_then_works(gent, family, seals, mail_server):
    mail_server.fail_documents = 2
    case = order_by_email(gent, family, "jan@example.org")
    # Issued at once; the first attempt to e-mail it, right after the commit, failed.
    assert case.status == "issued"
    sending = OutboxMessage.objects.get(kind="case.deliver_email", ref=f"case:{case.tracking_code}")
    assert (sending.state, sending.attempts) == (OutboxState.PENDING, 1)
    assert "451" in sending.last_error and sending.next_attempt_at > timezone.now()
    # Not due yet: nothing is tried.
    assert outbox_deliver_due(timezone.now()) == 0
    sending.refresh_from_db()
    assert sending.attempts == 1
    # The second attempt, after the back-off, fails again; the third gets through.
    outbox_deliver_due(timezone.now() + backoff(1) + dt.timedelta(seconds=1))
    sending.refresh_from_db()
    assert (sending.state, sending.attempts) == (OutboxState.PENDING, 2)
    outbox_deliver_due(timezone.now() + backoff(2) + dt.timedelta(seconds=1))
    sending.refresh_from_db()
    assert (sending.state, sending.attempts, sending.last_error) == (OutboxState.SENT, 3, "")
    # Sent once, and the channel made the "delivered" step itself.
    assert len(mail_server.documents()) == 1
    case.refresh_from_db()
    assert case.status == "delivered"
    last = case.history.last()
    assert (last.action, last.params) == ("deliver", {"email": "jan@example.org"})
    # The document's e-mail was the only one (issue 11: no e-mail per step, and none
    # saying that the document was sent).
    outbox_deliver_due(timezone.now() + dt.timedelta(hours=1))
    assert [m for m in mail_server.received if b"application/pdf" not in m] == []


def test_a_permanent_failure_shows_in_the_back_office_and_is_sent_again(
    client, gent, family, seals, mail_server, make_officer
):
    case = order_by_email(gent, family, "nobody@example.org")
    sending = OutboxMessage.objects.get(kind="case.deliver_email")
    assert (sending.state, sending.attempts) == (OutboxState.FAILED, 1)
    assert "550" in sending.last_error
    assert Case.objects.get(pk=case.pk).status == "issued"  # visible, not lost
    clerk = make_officer("gent.clerk", gent)
    officer_login_client(client, clerk)
    home = client.get("/gent/backoffice/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Messages not sent" in home
    page = client.get("/gent/backoffice/outbox/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert case.tracking_code in page and "550" in page and "Send again" in page
    assert f"request {case.display_code}" in page and "(e-mails or steps)" in home
    order_page = client.get(f"/gent/backoffice/orders/{case.tracking_code}").content.decode()
    assert "550" in order_page
    # The mailbox exists now; the officer sends it again.
    mail_server.refuse.clear()
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post("/gent/backoffice/outbox/", {"message": sending.pk})
    assert answer.status_code == 302
    sending.refresh_from_db()
    assert sending.state == OutboxState.SENT and len(mail_server.documents()) == 1
    assert Case.objects.get(pk=case.pk).status == "delivered"
    # Another municipality's officer sees nothing of it and cannot send it again.
    from eloket.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="outbox.retry", object_ref=str(sending.pk)).exists()


def test_a_crash_after_the_commit_loses_no_order(gent, family, seals):
    """The process stops right after the order commits: the step that follows is in the
    outbox, and the next delivery run (the worker, or `eloket outbox deliver` at start)
    takes it up."""
    jan = citizen_user(family["Jan"])
    case, _new = order_submit(  # no commit callbacks run: as if the process died here
        actor=citizen_actor_of(jan),
        municipality=gent,
        order_request=OrderRequest(
            certificate_type="residence",
            subject=family["Jan"].national_id,
            language="nl",
            delivery="download",
        ),
    )
    assert Case.objects.get(pk=case.pk).status == "submitted"
    assert OutboxMessage.objects.filter(kind="case.hook", state=OutboxState.PENDING).count() == 1
    out = StringIO()
    call_command("outbox", "deliver", stdout=out)
    assert Case.objects.get(pk=case.pk).status in ("issued", "delivered")
    # The issued step put its own hook in the outbox; the next run delivers.
    call_command("outbox", "deliver", stdout=out)
    assert Case.objects.get(pk=case.pk).status == "delivered"
    hooks = OutboxMessage.objects.filter(kind="case.hook")
    assert {m.state for m in hooks} == {OutboxState.SENT} and hooks.count() == 2


def test_a_hook_that_keeps_failing_ends_failed_and_changes_nothing(
    gent, family, seals, monkeypatch
):
    from eloket.certificates.services import processing

    def broken(case):
        raise RuntimeError("the typst compiler is gone")

    monkeypatch.setattr(processing, "order_process", broken)
    from eloket.certificates import handler

    monkeypatch.setattr(
        handler.CertificateOrderHandler,
        "on_enter",
        lambda self, case, change: broken(case),
    )
    case = order_by_email(gent, family, "jan@example.org")
    hook = OutboxMessage.objects.get(kind="case.hook")
    assert (hook.state, hook.attempts) == (OutboxState.PENDING, 1)
    assert "typst compiler" in hook.last_error
    now = timezone.now()
    for attempt in range(2, hook.max_attempts + 1):
        now += backoff(attempt) + dt.timedelta(seconds=1)
        outbox_deliver_due(now)
    hook.refresh_from_db()
    assert (hook.state, hook.attempts) == (OutboxState.FAILED, hook.max_attempts)
    assert Case.objects.get(pk=case.pk).status == "submitted"
