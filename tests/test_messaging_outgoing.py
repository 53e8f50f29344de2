"""Outgoing register mutations through the outbox, against the real peer process (issue
14, point 3): written with the register change, retried with back-off while the register
is down or slow, dead-lettered after the last try, and taken by the register once."""

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from conftest import free_port
from eloket.messaging import keys
from eloket.messaging.models import MessageLogEntry, MessageState, RegistryMessage
from eloket.messaging.outgoing import KIND, mutation_queue
from eloket.messaging.peer import address_fields
from eloket.outbox.delivery import outbox_deliver
from eloket.outbox.models import OutboxMessage, OutboxState

PEER_PORT = free_port()  # chosen once, when the module is read
PEER = f"http://127.0.0.1:{PEER_PORT}"
NUMBER = "85073100358"
ADDRESS = {
    "street": "Nieuwstraat",
    "house_number": "9",
    "postcode": "9000",
    "municipality_name": "Gent",
    "nis": "44021",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("out-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def peer(pki: Path) -> Iterator[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"}
    process = subprocess.Popen(  # nosec B603
        [
            sys.executable,
            "-m",
            "eloket",
            "registry-peer",
            "--port",
            str(PEER_PORT),
            "--pki",
            str(pki),
        ],
        env=env,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{PEER}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the registry peer did not start")
            time.sleep(0.2)
    yield PEER
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(autouse=True)
def configured(pki: Path, peer: str, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)
    settings.ELOKET_REGISTRY_URL = peer
    settings.ELOKET_REGISTRY_TIMEOUT = 1


def control(body: dict[str, object]) -> None:
    request = urllib.request.Request(  # noqa: S310
        f"{PEER}/control", data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310
        pass


def received() -> dict[str, dict[str, object]]:
    with urllib.request.urlopen(f"{PEER}/received", timeout=10) as response:  # noqa: S310
        return json.loads(response.read())  # type: ignore[no-any-return]


def queue(gent) -> RegistryMessage:  # type: ignore[no-untyped-def]
    with transaction.atomic():
        return mutation_queue(
            municipality=gent,
            kind="address_change",
            national_number=NUMBER,
            effective_date=dt.date(2026, 11, 1),
            nis="44021",
            fields=[("Address", address_fields(ADDRESS))],
        )


def attempt(row: OutboxMessage) -> str:
    row.refresh_from_db()
    due = max(row.next_attempt_at, row.lease_until or row.next_attempt_at)
    return outbox_deliver(row.pk, now=due + dt.timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_down_then_up_is_delivered_once(gent) -> None:  # type: ignore[no-untyped-def]
    control({"mode": "down"})
    message = queue(gent)
    row = OutboxMessage.objects.get(kind=KIND, payload__message=message.pk)
    assert message.state == MessageState.QUEUED
    # the worker tried once right after the commit: the register is down
    assert row.state == OutboxState.PENDING and row.attempts == 1
    first_wait = row.next_attempt_at - row.created_at
    assert attempt(row) == OutboxState.PENDING
    row.refresh_from_db()
    assert row.attempts == 2 and row.next_attempt_at - timezone.now() > first_wait  # back-off
    control({"mode": "normal"})
    assert attempt(row) == OutboxState.SENT
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    seen = received()
    assert seen["received"][message.message_id] == "address_change"
    assert seen["posts"][message.message_id] == 1  # the 503s were refused before reading
    events = list(
        MessageLogEntry.objects.filter(message_id=message.message_id).values_list(
            "event", flat=True
        )
    )
    assert sorted(events) == ["delivered", "queued"]


@pytest.mark.django_db(transaction=True)
def test_slow_times_out_then_delivered_and_dead_letter_after_last_try(gent) -> None:  # type: ignore[no-untyped-def]
    control({"mode": "slow", "delay": 2})
    message = queue(gent)
    row = OutboxMessage.objects.get(kind=KIND, payload__message=message.pk)
    assert row.state == OutboxState.PENDING and row.attempts == 1  # timed out after 1 s
    assert "timed out" in row.last_error.lower()
    control({"mode": "normal"})
    time.sleep(1.5)  # the slow answer of the first post has arrived at the peer by now
    assert attempt(row) == OutboxState.SENT
    message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    seen = received()
    assert list(seen["received"]).count(message.message_id) == 1  # applied once

    control({"mode": "down"})
    dead = queue(gent)
    row = OutboxMessage.objects.get(kind=KIND, payload__message=dead.pk)
    states = [attempt(row) for _ in range(row.max_attempts - 1)]  # one try after the commit
    assert states[-1] == OutboxState.FAILED
    assert states[:-1] == [OutboxState.PENDING] * (row.max_attempts - 2)
    dead.refresh_from_db()
    assert dead.state == MessageState.QUEUED and dead.message_id not in received()["received"]
    control({"mode": "normal"})


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_while_sending_delivers_exactly_once_after_restart(  # type: ignore[no-untyped-def]
    gent, pki: Path
) -> None:
    control({"mode": "down"})
    messages = [queue(gent) for _ in range(3)]
    ids = {message.message_id for message in messages}
    OutboxMessage.objects.filter(kind=KIND).update(next_attempt_at=timezone.now())
    control({"mode": "slow", "delay": 3})
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "eloket.conf.test",
        "DATABASE_URL": database_url(),
        "ELOKET_MESSAGING_DIR": str(pki),
        "ELOKET_REGISTRY_URL": PEER,
        "ELOKET_REGISTRY_TIMEOUT": "10",
    }
    code = (
        "import django; django.setup();"
        "from eloket.outbox.delivery import outbox_deliver_due; outbox_deliver_due()"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], env=env)  # nosec B603
    deadline = time.monotonic() + 30
    while not OutboxMessage.objects.filter(kind=KIND, state=OutboxState.SENDING).exists():
        assert time.monotonic() < deadline, "the worker never started sending"
        time.sleep(0.1)
    time.sleep(0.5)  # the worker is waiting on the register's answer
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    time.sleep(3)  # the register finishes what it was given
    control({"mode": "normal"})
    # The three went in one batch (one request): all in flight when the worker died.
    stuck = OutboxMessage.objects.filter(kind=KIND, state=OutboxState.SENDING)
    assert stuck.count() == 3
    for message_id in ids:  # the register took each; Eloket never heard
        assert received()["posts"][message_id] == 1
    # The restarted worker, once their leases ran out: the three again, in one batch.
    assert attempt(OutboxMessage.objects.get(payload__message=messages[0].pk)) == OutboxState.SENT
    assert set(OutboxMessage.objects.filter(kind=KIND).values_list("state", flat=True)) == {
        OutboxState.SENT
    }
    seen = received()
    for message in messages:
        message.refresh_from_db()
        assert message.state == MessageState.DELIVERED
    assert ids <= set(seen["received"])  # each taken once (the register keys them by id)
    for message_id in ids:  # posted again after the kill (one batch), taken as duplicates
        assert seen["posts"][message_id] == 2
    assert MessageLogEntry.objects.filter(event="delivered", message_id__in=ids).count() == 3
