"""Batches of registry messages (issue 14, the messaging path made fast): several signed
messages in one `MessageBatch` request each way, each keeping its own enveloped signature
(checked on its own, by signxml and by xmlsec1); one signed `BatchAcknowledgement` with
each message's outcome; the message log appended many entries at a time with the same
chain; the acknowledgements Eloket signs kept in the log as signed XML."""

import datetime as dt
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import transaction
from lxml import etree

from eloket.common.chain import chain_append, chain_append_many, chain_families
from eloket.common.models import ChainHead
from eloket.messaging import keys, wire
from eloket.messaging.evidence import messages_verify
from eloket.messaging.inbox import CHAIN
from eloket.messaging.models import MessageLogEntry, MessageState, RegistryMessage
from eloket.messaging.outgoing import KIND, mutation_queue
from eloket.messaging.peer import address_fields
from eloket.outbox.delivery import outbox_deliver_due
from eloket.outbox.models import OutboxMessage, OutboxState
from eloket.register.models import Person
from eloket.register.national_ids import make_belgian_number

INBOX = "/api/v1/messaging/inbox"
MAX = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("batch-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(autouse=True)
def configured(pki: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)


@pytest.fixture
def registry(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")


@pytest.fixture
def trusts_eloket(pki: Path) -> wire.Verifier:
    return wire.Verifier.from_file(pki / "eloket.cert.pem")


def person(number: str, born: str, house: str) -> list[wire.Field]:
    return [
        ("NationalNumber", number),
        ("FirstNames", "Noor"),
        ("LastName", "Batch"),
        ("Sex", "F"),
        ("BirthDate", born),
        ("BirthPlace", "Gent"),
        ("Nationality", "BE"),
        ("Address", [("Street", "Korenmarkt"), ("HouseNumber", house), ("Postcode", "9000"),
                     ("MunicipalityName", "Gent"), ("Municipality", "44021")]),
    ]  # fmt: skip


def mutation(
    registry: wire.Signer, kind: str, number: str, sequence: int, **parts: object
) -> bytes:
    body: list[wire.Field] = [
        ("Kind", kind),
        ("NationalNumber", number),
        ("Sequence", sequence),
        ("EffectiveDate", str(parts.pop("on", "2026-11-20"))),
        ("Municipality", str(parts.pop("nis", "44021"))),
        *parts.items(),
    ]
    root = wire.build(
        "RegisterMutation", sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY, body=body
    )
    return registry.sign(root)


def message_id(data: bytes) -> str:
    return wire.read(wire.parse(data, max_bytes=MAX)).message_id


def batch(documents: list[bytes]) -> bytes:
    return wire.batch_build(documents, sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY)[1]


A = make_belgian_number(dt.date(2026, 11, 1), 902)
B = make_belgian_number(dt.date(2026, 11, 2), 904)
C = make_belgian_number(dt.date(2026, 11, 3), 906)


def test_each_message_of_a_batch_keeps_its_own_signature(
    registry: wire.Signer, pki: Path, tmp_path: Path
) -> None:
    documents = [
        mutation(registry, "birth", A, 1, on="2026-11-01", Person=person(A, "2026-11-01", "1")),
        mutation(registry, "death", B, 2, on="2026-11-20"),
    ]
    spoiled = documents[1].replace(b"<Sequence>2</Sequence>", b"<Sequence>3</Sequence>")
    data = batch([*documents, spoiled])
    root = wire.parse(data, max_bytes=MAX)
    assert wire.schema(wire.BATCH).validate(root)
    envelope, items = wire.batch_read(
        root, verifier=wire.Verifier.from_file(pki / "registry.cert.pem")
    )
    assert envelope.sender == keys.REGISTRY_PARTY
    assert [bool(item.verified) for item in items] == [True, True, False]
    assert items[2].refused is not None and items[2].refused.code == "bad_signature"
    assert items[2].message_id == message_id(documents[1])  # named, to be refused by id
    # Read out of the batch, a message is its own document: the same bytes as signed...
    assert [item.verified.signed_bytes for item in items[:2]] == documents  # type: ignore[union-attr]
    # ... and an independent implementation checks its signature (Reference URI="").
    if shutil.which("xmlsec1"):
        for position, item in enumerate(items, 1):
            path = tmp_path / f"item{position}.xml"
            path.write_bytes(item.data)
            run = subprocess.run(  # nosec B603 B607
                ["xmlsec1", "--verify", "--trusted-pem", str(pki.parent / "root.cert.pem"),
                 str(path)],
                capture_output=True, check=False,
            )  # fmt: skip
            assert (run.returncode == 0) == (position < 3), run.stderr[-500:]


def test_a_batch_that_breaks_its_schema_is_refused_whole() -> None:
    root = etree.fromstring(batch([b"<RegisterMutation xmlns='urn:eloket:registry:1'/>"]))
    messages = root.find(f"{{{wire.NS}}}Messages")
    assert messages is not None
    for child in list(messages):
        messages.remove(child)
    assert not wire.schema(wire.BATCH).validate(root)  # a batch holds at least one message
    with pytest.raises(ValueError):
        wire.batch_build([], sender="a", receiver="b")


@pytest.mark.django_db
def test_many_entries_appended_at_once_make_the_same_chain() -> None:
    def entry(number: int) -> MessageLogEntry:
        return MessageLogEntry(
            direction="in", type="RegisterMutation", message_id=f"m{number}",
            event="received", xml_sha256=f"{number:064d}",
        )  # fmt: skip

    with transaction.atomic():
        chain_append(entry(1), chain=CHAIN)
        chain_append_many([entry(n) for n in range(2, 6)], chain=CHAIN)
        chain_append(entry(6), chain=CHAIN)
        chain_append_many([], chain=CHAIN)
    rows = list(MessageLogEntry.objects.order_by("sequence"))
    assert [r.sequence for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(r.previous_hash == p.entry_hash for p, r in itertools.pairwise(rows))
    head = ChainHead.objects.get(chain=CHAIN)
    assert (head.length, head.last_hash) == (6, rows[-1].entry_hash)
    assert chain_families["messages"].verify() == []


@pytest.mark.django_db
def test_inbox_takes_a_batch_acknowledges_each_and_applies_in_order_once(
    client, django_capture_on_commit_callbacks, gent, registry: wire.Signer,
    trusts_eloket: wire.Verifier,
) -> None:  # fmt: skip
    death_first = mutation(registry, "death", A, 2, on="2026-11-20")  # ahead of A's birth
    births = [
        mutation(registry, "birth", n, 1, on=born, Person=person(n, born, house))
        for n, born, house in ((B, "2026-11-02", "2"), (C, "2026-11-03", "3"))
    ]
    spoiled = births[0].replace(b"Korenmarkt", b"Veldstraat")
    elsewhere = mutation(registry, "death", A, 3, nis="11002")
    first = [death_first, *births, births[0], spoiled, elsewhere]

    def post(data: bytes) -> tuple[int, wire.Message]:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INBOX, data=data, content_type="application/xml")
        answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
        return response.status_code, answer

    status, answer = post(batch(first))
    assert status == 200 and answer.type == "BatchAcknowledgement"
    outcomes = [(o.position, o.message_id, o.outcome, o.code) for o in wire.batch_outcomes(answer)]
    assert outcomes == [
        (1, message_id(death_first), "received", ""),
        (2, message_id(births[0]), "received", ""),
        (3, message_id(births[1]), "received", ""),
        (4, message_id(births[0]), "duplicate", ""),  # the same message twice: taken once
        (5, message_id(births[0]), "refused", "bad_signature"),
        (6, message_id(elsewhere), "refused", "not_served"),
    ]
    assert set(
        Person.objects.filter(national_id__in=[B, C]).values_list("national_id", flat=True)
    ) == {B, C}
    assert (
        RegistryMessage.objects.get(message_id=message_id(death_first)).state == MessageState.HELD
    )
    assert RegistryMessage.objects.filter(direction="in").count() == 3

    # A's birth comes after its death: the death waited, and is applied now, in order.
    status, answer = post(batch([mutation(registry, "birth", A, 1, on="2026-11-01",
                                          Person=person(A, "2026-11-01", "1"))]))  # fmt: skip
    assert wire.batch_outcomes(answer)[0].outcome == "received"
    assert Person.objects.get(national_id=A).date_of_death == dt.date(2026, 11, 20)
    assert (
        RegistryMessage.objects.get(message_id=message_id(death_first)).state
        == MessageState.APPLIED
    )

    # The first batch again: every message a duplicate (or refused again), nothing applied twice.
    status, answer = post(batch(first))
    assert [o.outcome for o in wire.batch_outcomes(answer)] == [
        "duplicate", "duplicate", "duplicate", "duplicate", "refused", "refused"
    ]  # fmt: skip
    assert Person.objects.filter(national_id__in=[A, B, C]).count() == 3
    assert RegistryMessage.objects.filter(direction="in").count() == 4
    assert MessageLogEntry.objects.filter(event="applied").count() == 4

    # Every acknowledgement Eloket signed is in the log as its signed XML.
    sent = MessageLogEntry.objects.filter(direction="out", event="sent")
    assert sent.count() == 3 and not sent.filter(xml=b"").exists()
    for entry in sent:
        verified = wire.receive(bytes(entry.xml), verifier=trusts_eloket, max_bytes=MAX)
        assert verified.message.type == "BatchAcknowledgement"
    report = messages_verify()
    assert report.problems == []
    assert A not in str(list(MessageLogEntry.objects.values_list("detail", "message_id")))


@pytest.mark.django_db
def test_a_changed_acknowledgement_in_the_log_is_found(
    client, django_capture_on_commit_callbacks, gent, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    data = mutation(registry, "birth", A, 1, on="2026-11-01", Person=person(A, "2026-11-01", "1"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(INBOX, data=data, content_type="application/xml")  # a single message
    entry = MessageLogEntry.objects.get(direction="out", event="sent")
    assert wire.read(wire.parse(bytes(entry.xml), max_bytes=MAX)).type == "Acknowledgement"
    assert messages_verify().problems == []
    changed = bytes(entry.xml).replace(b"received", b"applied")
    MessageLogEntry._base_manager.filter(pk=entry.pk).update(xml=changed)  # behind the guard
    problems = messages_verify().problems
    assert len(problems) == 1 and "not the one the log took the hash of" in problems[0]


# --- Both ways against the real peer process (a free port; Eloket's live server)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def peer(pki: Path, live_server) -> Iterator[str]:  # type: ignore[no-untyped-def]
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # nosec B603
        [sys.executable, "-m", "eloket", "registry-peer", "--port", str(port), "--pki",
         str(pki), "--inbox", f"{live_server.url}{INBOX}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "eloket.conf.test"},
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):  # noqa: S310
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the registry peer did not start")
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def call(url: str, body: object) -> object:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.mark.django_db(transaction=True)
def test_batches_both_ways_with_the_peer(peer: str, settings, gent) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_REGISTRY_URL = peer
    address = {"street": "Nieuwstraat", "house_number": "9", "postcode": "9000",
               "municipality_name": "Gent", "nis": "44021"}  # fmt: skip
    numbers = [
        make_belgian_number(dt.date(1980, 1, 1) + dt.timedelta(days=i), 11) for i in range(4)
    ]
    with transaction.atomic():
        for number in numbers:
            mutation_queue(
                municipality=gent, kind="address_change", national_number=number,
                effective_date=dt.date(2026, 11, 1), nis="44021",
                fields=[("Address", address_fields(address))],
            )  # fmt: skip
    # (The tests' immediate task backend sent the first at the commit, on its own.)
    OutboxMessage.objects.filter(kind=KIND).update(
        next_attempt_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    outbox_deliver_due()
    assert set(OutboxMessage.objects.filter(kind=KIND).values_list("state", flat=True)) == {
        OutboxState.SENT
    }
    messages = list(RegistryMessage.objects.filter(direction="out"))
    assert {m.state for m in messages} == {MessageState.DELIVERED}
    with urllib.request.urlopen(f"{peer}/received", timeout=10) as response:  # noqa: S310
        seen = json.loads(response.read())
    assert set(seen["posts"].values()) == {1}  # each posted once, taken once
    assert {m.message_id for m in messages} <= set(seen["received"])
    batched = [m for m in messages if b"BatchAcknowledgement" in bytes(m.answer_xml)]
    assert len(batched) >= 3  # the rest went in one request, answered by one signed document
    assert len({bytes(m.answer_xml) for m in batched}) == 1

    # The peer's mutations come to the inbox in one batch too.
    born = [make_belgian_number(dt.date(2026, 10, 1) + dt.timedelta(days=i), 22) for i in range(3)]
    specs = [
        {"kind": "birth", "national_number": n, "effective_date": "2026-11-01",
         "municipality": "44021",
         "person": {"national_number": n, "first_names": "Lena", "last_name": "Peer", "sex": "F",
                    "birth_date": (dt.date(2026, 10, 1) + dt.timedelta(days=i)).isoformat(),
                    "nationality": "BE", "street": "Korenmarkt", "house_number": str(i + 1),
                    "postcode": "9000", "municipality_name": "Gent", "nis": "44021"}}
        for i, n in enumerate(born)
    ]  # fmt: skip
    results = call(f"{peer}/send", specs)
    assert [r["status"] for r in results] == [200]  # type: ignore[index, union-attr]
    assert "BatchAcknowledgement" in results[0]["answer"]  # type: ignore[index]
    assert Person.objects.filter(national_id__in=born).count() == 3
    assert set(RegistryMessage.objects.filter(direction="in").values_list("state", flat=True)) == {
        MessageState.APPLIED
    }
    assert messages_verify().problems == []


@pytest.mark.django_db
def test_a_refused_birth_in_a_batch_does_not_stop_the_others(
    client, django_capture_on_commit_callbacks, gent, registry: wire.Signer
) -> None:  # type: ignore[no-untyped-def]
    wrong = make_belgian_number(dt.date(2026, 11, 4), 907)  # odd: a man's number, sex F
    documents = [
        mutation(registry, "birth", n, 1, on=born, Person=person(n, born, house))
        for n, born, house in ((A, "2026-11-01", "1"), (wrong, "2026-11-04", "4"),
                               (B, "2026-11-02", "2"))
    ]  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INBOX, data=batch(documents), content_type="application/xml")
    assert response.status_code == 200
    states = dict(RegistryMessage.objects.values_list("national_number", "state"))
    assert states == {A: "applied", wrong: "refused", B: "applied"}
    assert "sex" in RegistryMessage.objects.get(national_number=wrong).error
    assert set(Person.objects.values_list("national_id", flat=True)) >= {A, B}
    assert not Person.objects.filter(national_id=wrong).exists()


@pytest.mark.django_db
def test_the_outgoing_sequence_upsert_counts_as_the_orm_did() -> None:
    """`_next_sequence` (SQL, docs/adr/0007) gives what `select_for_update().get_or_create()`
    and a save of `last_applied + 1` gave: 1, 2, 3 per person, the row holding the last,
    and nothing counted when the transaction rolls back."""
    from eloket.messaging.models import PersonSequence
    from eloket.messaging.outgoing import OUT_ORDER, _next_sequence

    with transaction.atomic():
        assert [_next_sequence(A), _next_sequence(A), _next_sequence(B), _next_sequence(A)] == [
            1, 2, 1, 3
        ]  # fmt: skip
    with pytest.raises(RuntimeError), transaction.atomic():
        assert _next_sequence(A) == 4
        raise RuntimeError("rolled back")
    rows = dict(
        PersonSequence.objects.filter(sender=OUT_ORDER).values_list(
            "national_number", "last_applied"
        )
    )
    assert rows == {A: 3, B: 1}
    assert not PersonSequence.objects.exclude(sender=OUT_ORDER).exists()


@pytest.mark.django_db
def test_a_mutation_held_in_a_batch_follows_its_predecessor_imported_with_others(
    client, django_capture_on_commit_callbacks, gent, registry: wire.Signer,
    trusts_eloket: wire.Verifier,
) -> None:  # fmt: skip
    documents = [
        mutation(registry, "death", A, 2, on="2026-11-20"),  # ahead of A's birth
        mutation(registry, "birth", A, 1, on="2026-11-01", Person=person(A, "2026-11-01", "1")),
        mutation(registry, "birth", B, 1, on="2026-11-02", Person=person(B, "2026-11-02", "2")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(INBOX, data=batch(documents), content_type="application/xml")
    answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
    assert [o.outcome for o in wire.batch_outcomes(answer)] == ["received"] * 3
    assert set(RegistryMessage.objects.values_list("state", flat=True)) == {MessageState.APPLIED}
    assert Person.objects.get(national_id=A).date_of_death == dt.date(2026, 11, 20)
    events = list(
        MessageLogEntry.objects.filter(message_id=message_id(documents[0]))
        .order_by("sequence")
        .values_list("event", flat=True)
    )
    assert events == ["received", "held", "applied"]
    assert messages_verify().problems == []


@pytest.mark.django_db
def test_a_batch_that_fails_its_schema_changes_nothing(client, gent, trusts_eloket) -> None:  # type: ignore[no-untyped-def]
    data = batch([b"<RegisterMutation xmlns='urn:eloket:registry:1'/>"]).replace(
        b"<Receiver>", b"<Unknown/><Receiver>"
    )
    response = client.post(INBOX, data=data, content_type="application/xml")
    assert response.status_code == 400
    answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
    assert answer.type == "Error" and answer.body["Code"] == "schema_invalid"
    assert not RegistryMessage.objects.exists()
    assert not OutboxMessage.objects.exists()
