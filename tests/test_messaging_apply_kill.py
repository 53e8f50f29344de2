"""A worker killed with SIGKILL in the middle of applying a register mutation (issue 14,
"Done when"): the half-done transaction is rolled back by the database, and after the
restart the mutation is applied exactly once. The worker is held inside its transaction
(after the register's import, at the message log's head row, which the test locks) and
killed there. Row locks are PostgreSQL's: SQLite's one write lock would hold the worker
before it starts, so this runs in the PostgreSQL run of CI."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.test import Client

from eloket.common.models import ChainHead
from eloket.messaging import keys
from eloket.messaging.inbox import CHAIN
from eloket.messaging.models import MessageLogEntry, MessageState, PersonSequence, RegistryMessage
from eloket.outbox.models import OutboxMessage, OutboxState
from eloket.register.models import Person
from test_messaging_inbox import BABY, BIRTH_PERSON, mutation
from test_messaging_outgoing import attempt, database_url

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pki(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    directory = tmp_path / "messaging"
    keys.demo_messaging_pki(directory)
    settings.ELOKET_MESSAGING_DIR = str(directory)
    return directory


def test_a_worker_killed_while_applying_applies_exactly_once_after_restart(
    gent, pki: Path, monkeypatch
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks hold the worker mid-transaction on PostgreSQL only (CI's run)")
    from eloket.outbox import delivery

    # Stored and acknowledged now; applied by a worker process, not inline after the commit.
    monkeypatch.setattr(delivery, "outbox_kick", lambda *args, **kwargs: None)
    registry = wire_signer(pki)
    answer = Client().post(
        "/api/v1/messaging/inbox",
        data=mutation(registry, "birth", BABY, 1, on="2026-11-17", Person=BIRTH_PERSON),
        content_type="application/xml",
    )
    assert answer.status_code == 200
    row = OutboxMessage.objects.get(kind="messaging.apply")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test",
           "DATABASE_URL": database_url(), "ELOKET_MESSAGING_DIR": str(pki)}  # fmt: skip
    code = (
        "import django; django.setup();"
        "from eloket.outbox.delivery import outbox_deliver_due; outbox_deliver_due()"
    )
    with transaction.atomic():
        ChainHead.objects.select_for_update().get(chain=CHAIN)  # the log's head: held
        worker = subprocess.Popen([sys.executable, "-c", code], env=env)  # nosec B603
        deadline = time.monotonic() + 60
        while not waiting_on_a_lock():
            assert worker.poll() is None, "the worker ended before it reached the log"
            assert time.monotonic() < deadline, "the worker never reached the log's head"
            time.sleep(0.1)
        # The worker has imported the birth in its transaction and waits to log it.
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    # The database rolled the worker's transaction back: nothing of it is left.
    assert not Person.objects.filter(national_id=BABY).exists()
    message = RegistryMessage.objects.get(message_id__isnull=False, direction="in")
    assert message.state == MessageState.RECEIVED
    row.refresh_from_db()
    assert row.state == OutboxState.SENDING  # its lease runs out, then it is taken again
    # The restarted worker.
    assert attempt(row) == OutboxState.SENT
    message.refresh_from_db()
    assert message.state == MessageState.APPLIED
    assert Person.objects.filter(national_id=BABY).count() == 1
    assert PersonSequence.objects.get(national_number=BABY).last_applied == 1
    applied = MessageLogEntry.objects.filter(message_id=message.message_id, event="applied")
    assert applied.count() == 1


def wire_signer(pki: Path):  # type: ignore[no-untyped-def]
    from eloket.messaging import wire

    return wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")


def waiting_on_a_lock() -> bool:
    """Whether another session of this database waits on a lock (the worker on the head)."""
    with connection.cursor() as cursor:
        # The statistics views are a snapshot per transaction, and the test is inside one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return bool(cursor.fetchone()[0])


def test_a_worker_killed_while_applying_a_batch_applies_each_exactly_once(
    gent, pki: Path, monkeypatch
) -> None:
    """The same for a batch (`MessageBatch`): its births are imported together in one
    transaction, which the kill rolls back whole; the restart applies each once."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks hold the worker mid-transaction on PostgreSQL only (CI's run)")
    import datetime as dt

    from eloket.messaging import wire
    from eloket.outbox import delivery
    from eloket.register.national_ids import make_belgian_number

    monkeypatch.setattr(delivery, "outbox_kick", lambda *args, **kwargs: None)
    registry = wire_signer(pki)
    numbers = [BABY, *(make_belgian_number(dt.date(2026, 11, 17), n) for n in (994, 992))]
    documents = [
        mutation(registry, "birth", number, 1, on="2026-11-17",
                 Person=[("NationalNumber", number), *BIRTH_PERSON[1:]])
        for number in numbers
    ]  # fmt: skip
    _batch_id, data = wire.batch_build(
        documents, sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY
    )
    answer = Client().post("/api/v1/messaging/inbox", data=data, content_type="application/xml")
    assert answer.status_code == 200 and b"BatchAcknowledgement" in answer.content
    row = OutboxMessage.objects.get(kind="messaging.apply")
    assert len(row.payload["messages"]) == 3
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test",
           "DATABASE_URL": database_url(), "ELOKET_MESSAGING_DIR": str(pki)}  # fmt: skip
    code = (
        "import django; django.setup();"
        "from eloket.outbox.delivery import outbox_deliver_due; outbox_deliver_due()"
    )
    with transaction.atomic():
        ChainHead.objects.select_for_update().get(chain=CHAIN)  # the log's head: held
        worker = subprocess.Popen([sys.executable, "-c", code], env=env)  # nosec B603
        deadline = time.monotonic() + 60
        while not waiting_on_a_lock():
            assert worker.poll() is None, "the worker ended before it reached the log"
            assert time.monotonic() < deadline, "the worker never reached the log's head"
            time.sleep(0.1)
        # The worker has imported the births in its transaction and waits to log them.
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    assert not Person.objects.filter(national_id__in=numbers).exists()
    assert set(RegistryMessage.objects.filter(direction="in").values_list("state", flat=True)) == {
        MessageState.RECEIVED
    }
    row.refresh_from_db()
    assert row.state == OutboxState.SENDING
    assert attempt(row) == OutboxState.SENT  # the restarted worker
    assert Person.objects.filter(national_id__in=numbers).count() == 3
    assert set(RegistryMessage.objects.filter(direction="in").values_list("state", flat=True)) == {
        MessageState.APPLIED
    }
    assert MessageLogEntry.objects.filter(event="applied").count() == 3
    assert PersonSequence.objects.filter(national_number__in=numbers, last_applied=1).count() == 3
