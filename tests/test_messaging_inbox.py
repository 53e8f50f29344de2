"""The inbox (issue 14, points 3 and 4, first part): a registry's signed mutations are
stored, acknowledged with a signed answer, applied once and in each person's order through
the register services; whatever is refused changes nothing; every message in and out is a
row of the hash-chained message log."""

import datetime as dt
from pathlib import Path

import pytest

from conftest import person_record
from eloket.common.chain import chain_families
from eloket.messaging import keys, wire
from eloket.messaging.models import MessageLogEntry, MessageState, RegistryMessage
from eloket.register.models import Address, Person
from eloket.register.national_ids import make_belgian_number

INBOX = "/api/v1/messaging/inbox"
MAX = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("inbox-pki") / "messaging"
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


def mutation(
    registry: wire.Signer, kind: str, number: str, sequence: int, **parts: object
) -> bytes:
    body: list[wire.Field] = [
        ("Kind", kind),
        ("NationalNumber", number),
        ("Sequence", sequence),
        ("EffectiveDate", str(parts.pop("on", "2026-11-20"))),
        ("Municipality", str(parts.pop("nis", "44021"))),
    ]
    body += list(parts.items())
    return registry.sign(
        wire.build(
            "RegisterMutation",
            sender=keys.REGISTRY_PARTY,
            receiver=keys.ELOKET_PARTY,
            body=body,
        )
    )


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Post to the inbox; what waits for the commit (applying) runs, as in production."""

    def post(data: bytes, trusts_eloket: wire.Verifier) -> wire.Message:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(INBOX, data=data, content_type="application/xml")
        return _answer(response, trusts_eloket)

    return post


def _answer(response, trusts_eloket: wire.Verifier) -> wire.Message:  # type: ignore[no-untyped-def]
    answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
    assert response.status_code == (200 if answer.type == "Acknowledgement" else 400)
    return answer


BABY = make_belgian_number(dt.date(2026, 11, 17), 996)
BIRTH_PERSON = [
    ("NationalNumber", BABY),
    ("FirstNames", "Noor"),
    ("LastName", "Inbox"),
    ("Sex", "F"),
    ("BirthDate", "2026-11-17"),
    ("BirthPlace", "Gent"),
    ("Nationality", "BE"),
    (
        "Address",
        [
            ("Street", "Korenmarkt"),
            ("HouseNumber", "1"),
            ("Postcode", "9000"),
            ("MunicipalityName", "Gent"),
            ("Municipality", "44021"),
        ],
    ),
]


@pytest.mark.django_db
def test_birth_is_acknowledged_applied_once_and_logged(
    send, gent, registry: wire.Signer, trusts_eloket: wire.Verifier
) -> None:  # type: ignore[no-untyped-def]
    data = mutation(registry, "birth", BABY, 1, on="2026-11-17", Person=BIRTH_PERSON)
    sent_id = wire.read(wire.parse(data, max_bytes=MAX)).message_id
    first = send(data, trusts_eloket)
    assert first.type == "Acknowledgement"
    assert first.body == {"Acknowledged": sent_id, "Outcome": "received"}
    assert first.correlation_id == sent_id
    person = Person.objects.get(national_id=BABY)
    assert person.municipality == gent
    assert Address.objects.get(person=person).street == "Korenmarkt"
    assert RegistryMessage.objects.get(message_id=sent_id).state == MessageState.APPLIED

    again = send(data, trusts_eloket)
    assert again.body["Outcome"] == "duplicate"
    assert Person.objects.filter(national_id=BABY).count() == 1
    assert RegistryMessage.objects.filter(message_id=sent_id).count() == 1

    events = list(MessageLogEntry.objects.order_by("sequence").values_list("direction", "event"))
    assert events == [
        ("in", "received"),
        ("out", "sent"),
        ("in", "applied"),
        ("in", "duplicate"),
        ("out", "sent"),
    ]
    assert chain_families["messages"].verify() == []
    assert BABY not in str(list(MessageLogEntry.objects.values()))


@pytest.mark.django_db
def test_out_of_order_waits_for_its_predecessor(
    send, gent, add_people, registry: wire.Signer, trusts_eloket: wire.Verifier
) -> None:  # type: ignore[no-untyped-def]
    record = person_record(dt.date(1960, 3, 4), 21)
    add_people(gent, record)
    number = record.national_id
    address = [
        ("Street", "Nieuwstraat"),
        ("HouseNumber", "9"),
        ("Postcode", "9000"),
        ("MunicipalityName", "Gent"),
        ("Municipality", "44021"),
    ]
    death = mutation(registry, "death", number, 2, on="2026-11-21")
    move = mutation(registry, "address_change", number, 1, on="2026-11-10", Address=address)
    assert send(death, trusts_eloket).body["Outcome"] == "received"
    assert RegistryMessage.objects.get(sequence=2).state == MessageState.HELD
    assert Person.objects.get(national_id=number).date_of_death is None
    send(move, trusts_eloket)
    person = Person.objects.get(national_id=number)
    assert person.date_of_death == dt.date(2026, 11, 21)
    current = Address.objects.get(person=person, valid_to__isnull=True)
    assert current.street == "Nieuwstraat"
    assert set(RegistryMessage.objects.values_list("state", flat=True)) == {MessageState.APPLIED}


@pytest.mark.django_db
def test_refused_messages_change_nothing(
    send, gent, pki: Path, registry: wire.Signer, trusts_eloket: wire.Verifier
) -> None:  # type: ignore[no-untyped-def]
    data = mutation(registry, "birth", BABY, 1, on="2026-11-17", Person=BIRTH_PERSON)
    stranger = wire.Signer.from_files(pki / "eloket.key.pem", pki / "eloket.cert.pem")
    spoiled = data.replace(b"Korenmarkt", b"Kouter")
    bomb = (
        b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        b'<RegisterMutation xmlns="urn:eloket:registry:1">&b;</RegisterMutation>'
    )
    elsewhere = mutation(registry, "birth", BABY, 1, nis="11002", Person=BIRTH_PERSON)
    cases = {
        "bad_signature": spoiled,
        "untrusted_signer": mutation(stranger, "death", BABY, 1),
        "dtd_refused": bomb,
        "not_served": elsewhere,
    }
    for code, payload in cases.items():
        answer = send(payload, trusts_eloket)
        assert answer.type == "Error"
        assert answer.body["Code"] == code
    assert not Person.objects.filter(national_id=BABY).exists()
    assert not RegistryMessage.objects.exists()
    assert MessageLogEntry.objects.filter(event="refused").count() == len(cases)
    # An unknown person: stored and acknowledged, then refused when applied.
    assert send(mutation(registry, "death", BABY, 1), trusts_eloket).type == ("Acknowledgement")
    refused = RegistryMessage.objects.get()
    assert refused.state == MessageState.REFUSED
    assert chain_families["messages"].verify() == []


@pytest.mark.django_db
def test_move_out_name_change_and_marriage_are_applied(
    send, gent, add_people, registry: wire.Signer, trusts_eloket: wire.Verifier
) -> None:  # type: ignore[no-untyped-def]
    record = person_record(dt.date(1970, 5, 6), 41)
    add_people(gent, record)
    number = record.national_id
    for data in (
        mutation(registry, "name_change", number, 1, on="2026-11-01", LastName="Janssens"),
        mutation(registry, "marriage", number, 2, on="2026-11-02", Spouse=BABY),
        mutation(registry, "moved_out", number, 3, on="2026-11-03", ToMunicipality="11002"),
    ):
        assert send(data, trusts_eloket).type == "Acknowledgement"
    assert set(RegistryMessage.objects.values_list("state", flat=True)) == {MessageState.APPLIED}
    person = Person.objects.get(national_id=number)
    assert person.last_name == "Janssens"
    assert person.civil_status == "married"
    assert not Address.objects.filter(person=person, valid_to__isnull=True).exists()
    assert Address.objects.get(person=person).valid_to == dt.date(2026, 11, 2)


@pytest.mark.django_db
def test_make_run_serves_on_when_the_peer_cannot_start(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    """`eloket run` starts the peer beside the server; a peer that fails to start is
    reported and the server goes on."""
    import io
    import subprocess

    from eloket.web.management.commands.run import Command as Run

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("no such program")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    command = Run(stdout=io.StringIO())
    assert command.start_registry_peer("http://127.0.0.1:8220", {}, 0.0) == []
    assert "Registry peer not started: OSError" in command.stdout.getvalue()  # type: ignore[attr-defined]
    started: list[list[str]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv, env: started.append(argv) or argv)
    monkeypatch.setenv("ELOKET_REGISTRY_PEER_PORT", "8248")
    assert command.start_registry_peer("http://127.0.0.1:8220", {}, 0.0) != []
    assert started[0][3:6] == ["registry-peer", "--port", "8248"]
    assert "--demo-mutations" in started[0]  # an empty log: the first start
