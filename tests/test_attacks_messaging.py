"""Attacks on the registry inbox and its batches (issue 14), each written as the attack:
what was sent, and what happens now. Comments inside a signed message (a signature does
not cover them, so a message read as it was sent could say less than what was signed);
DTDs and bombs inside a batch's message; batches too large or too long; a forged message,
one signed with Eloket's own key and one with an untrusted certificate beside a good one;
a second message slipped in beside a signed one; the same id twice; a mutation for a
municipality this platform does not keep; a changed acknowledgement in the log.

(The wire's own checks are in test_messaging_wire.py, batches at work in
test_messaging_batch.py.)"""

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eloket.messaging import keys, wire
from eloket.messaging.evidence import messages_verify
from eloket.messaging.models import MessageLogEntry, MessageState, RegistryMessage
from eloket.register.models import Person
from eloket.register.national_ids import make_belgian_number

INBOX = "/api/v1/messaging/inbox"
MAX = 10 * 1024 * 1024

A = make_belgian_number(dt.date(2026, 10, 1), 912)
B = make_belgian_number(dt.date(2026, 10, 2), 914)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("attack-pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(autouse=True)
def configured(pki: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ELOKET_MESSAGING_DIR = str(pki)


@pytest.fixture
def registry(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")


@pytest.fixture
def eloket_key(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "eloket.key.pem", pki / "eloket.cert.pem")


@pytest.fixture
def stranger() -> wire.Signer:
    """A key and self-signed certificate that claim to be the national register."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "National register")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return wire.Signer(key, certificate)


@pytest.fixture
def trusts_eloket(pki: Path) -> wire.Verifier:
    return wire.Verifier.from_file(pki / "eloket.cert.pem")


def birth(
    signer: wire.Signer, number: str, *, nis: str = "44021", last_name: str = "Aanval",
    first: str = "Mila", sender: str = keys.REGISTRY_PARTY, receiver: str = keys.ELOKET_PARTY,
) -> bytes:  # fmt: skip
    body: list[wire.Field] = [
        ("Kind", "birth"),
        ("NationalNumber", number),
        ("Sequence", 1),
        ("EffectiveDate", "2026-10-01"),
        ("Municipality", nis),
        ("Person", [
            ("NationalNumber", number), ("FirstNames", first), ("LastName", last_name),
            ("Sex", "F"), ("BirthDate", "2026-10-01"), ("BirthPlace", "Gent"),
            ("Nationality", "BE"),
            ("Address", [("Street", "Korenmarkt"), ("HouseNumber", "7"), ("Postcode", "9000"),
                         ("MunicipalityName", "Gent"), ("Municipality", "44021")]),
        ]),
    ]  # fmt: skip
    root = wire.build("RegisterMutation", sender=sender, receiver=receiver, body=body)
    return signer.sign(root)


def batch(documents: list[bytes]) -> bytes:
    return wire.batch_build(documents, sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY)[1]


def post(client, capture, data: bytes, verifier: wire.Verifier) -> tuple[int, wire.Message]:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        response = client.post(INBOX, data=data, content_type="application/xml")
    answer = wire.receive(response.content, verifier=verifier, max_bytes=MAX).message
    return response.status_code, answer


def outcomes(answer: wire.Message) -> list[tuple[str, str]]:
    return [(o.outcome, o.code) for o in wire.batch_outcomes(answer)]


# --- What a signature does not cover


@pytest.mark.django_db
@pytest.mark.parametrize("as_batch", [False, True], ids=["single", "batch"])
def test_a_comment_inside_a_signed_message_is_refused(
    client, django_capture_on_commit_callbacks, gent, registry, trusts_eloket, as_batch
) -> None:  # type: ignore[no-untyped-def]
    """Attack: take a message the register signed and put a comment inside a name
    (`Aan<!-- -->val`). Canonical XML leaves comments out, so the signature still holds,
    but the message was stored as sent and read again when applied, where the text of
    `LastName` stops at the comment: the register got "Aan", which nobody signed. Now a
    comment (or a processing instruction) in a signed message refuses it."""
    beside = [make_belgian_number(dt.date(2026, 10, 5), n) for n in (920, 922)]
    for number, trick, good in ((A, b"<!-- -->", beside[0]), (B, b"<?x y?>", beside[1])):
        signed = birth(registry, number)
        assert signed.count(b"<LastName>Aanval</LastName>") == 1
        tampered = signed.replace(b"<LastName>Aan", b"<LastName>Aan" + trick)
        data = batch([tampered, birth(registry, good)]) if as_batch else tampered
        status, answer = post(client, django_capture_on_commit_callbacks, data, trusts_eloket)
        if as_batch:
            assert outcomes(answer) == [("refused", "bad_signature"), ("received", "")]
        else:
            assert status == 400 and answer.type == "Error"
            assert answer.body["Code"] == "bad_signature"
    assert not Person.objects.filter(national_id__in=[A, B]).exists()
    assert not RegistryMessage.objects.exclude(national_number__in=beside).exists()


def test_what_is_read_is_what_the_signature_covers(registry, pki) -> None:  # type: ignore[no-untyped-def]
    """The verified message's stored bytes read back to the same content as the signed
    part: what is applied later is what was signed."""
    verifier = wire.Verifier.from_file(pki / "registry.cert.pem")
    verified = wire.receive(birth(registry, A), verifier=verifier, max_bytes=MAX)
    again = wire.read(wire.parse(verified.signed_bytes, max_bytes=MAX))
    assert again.body == verified.message.body
    assert again.body["Person"]["LastName"] == "Aanval"


def test_a_message_declared_in_another_encoding_is_refused(registry, pki) -> None:  # type: ignore[no-untyped-def]
    """Attack: declare UTF-7, in which `<!DOCTYPE` is written `+ADw-!DOCTYPE` and slips past
    the check for a DTD made on the bytes (only the parser's own settings stood behind it),
    or re-encode a signed message in Latin-1 (the signature, over the parsed text, still
    holds). Only UTF-8 is read: both refused before any parser sees them."""
    verifier = wire.Verifier.from_file(pki / "registry.cert.pem")
    signed = birth(registry, A, first="Miléna")
    latin = signed.decode().replace("UTF-8", "ISO-8859-1", 1).encode("latin-1")
    utf7_dtd = (
        b'<?xml version="1.0" encoding="UTF-7"?>'
        b"+ADw-+ACE-DOCTYPE r +AFs-+ADw-+ACE-ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-+AF0-+AD4-"
        b'<RegisterMutation xmlns="urn:eloket:registry:1">+ACY-x+ADs-</RegisterMutation>'
    )
    for data in (latin, utf7_dtd, b"\xef\xbb\xbf" + latin):
        with pytest.raises(wire.MessageRefused) as refused:
            wire.receive(data, verifier=verifier, max_bytes=MAX)
        assert refused.value.code == "not_utf8"
    assert (
        wire.receive(signed, verifier=verifier, max_bytes=MAX).message.body["Person"]["FirstNames"]
        == "Miléna"
    )  # UTF-8, declared or not, is read
    undeclared = signed.split(b"?>", 1)[1].lstrip()
    assert wire.receive(undeclared, verifier=verifier, max_bytes=MAX).message.type


# --- Batches


@pytest.mark.django_db
def test_a_dtd_inside_a_batchs_message_refuses_the_batch(
    client, gent, registry, trusts_eloket
) -> None:  # type: ignore[no-untyped-def]
    """Attack: an entity bomb or an external entity inside one message of a batch (or the
    batch's own prolog). The whole request is refused before a parser sees it."""
    good = birth(registry, A)
    bomb = b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    for data in (
        batch([good]).replace(b"<Messages>", b"<Messages>" + bomb, 1),
        batch([good]).replace(b"?>", b"?>" + bomb, 1),
        batch([good])
        .replace(b"Korenmarkt", b"&ext;")
        .replace(b"?>", b'?><!DOCTYPE x [<!ENTITY ext SYSTEM "file:///etc/passwd">]>', 1),
    ):
        response = client.post(INBOX, data=data, content_type="application/xml")
        assert response.status_code == 400
        answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
        assert answer.body["Code"] == "dtd_refused"
    assert not RegistryMessage.objects.exists()


@pytest.mark.django_db
def test_a_batch_too_large_or_too_long_is_refused_whole(
    client, gent, registry, trusts_eloket, settings
) -> None:  # type: ignore[no-untyped-def]
    good = birth(registry, A)
    one = batch([good])
    settings.ELOKET_MESSAGING_MAX_BYTES = len(one) - 1
    response = client.post(INBOX, data=one, content_type="application/xml")
    assert response.status_code == 400
    answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
    assert answer.body["Code"] == "too_large"
    settings.ELOKET_MESSAGING_MAX_BYTES = MAX
    with pytest.raises(ValueError):
        wire.batch_build([good] * 1001, sender="x", receiver="y")
    body = good.split(b"?>", 1)[1].strip()
    too_long = one.replace(body, b"\n".join([body] * 1001))
    response = client.post(INBOX, data=too_long, content_type="application/xml")
    assert response.status_code == 400
    answer = wire.receive(response.content, verifier=trusts_eloket, max_bytes=MAX).message
    assert answer.body["Code"] == "schema_invalid"
    assert not RegistryMessage.objects.exists() and not Person.objects.exists()


@pytest.mark.django_db
def test_each_message_of_a_batch_is_verified_on_its_own(
    client, django_capture_on_commit_callbacks, gent, registry, eloket_key, stranger,
    trusts_eloket,
) -> None:  # fmt: skip  # type: ignore[no-untyped-def]
    """Attack: one good message, and beside it a forged one (changed after signing), one
    signed with Eloket's own key, one with a certificate nobody trusts, an unsigned one, a
    second message slipped in with the good one's signature, the good one again, and one
    for a municipality this platform does not keep. Only the good one is taken, once."""
    good = birth(registry, A)
    numbers = [make_belgian_number(dt.date(2026, 10, 3), 900 + 2 * i) for i in range(6)]
    forged = birth(registry, numbers[0]).replace(b"Aanval", b"Vervalst")
    own = birth(eloket_key, numbers[1])
    untrusted = birth(stranger, numbers[2])
    unsigned = birth(registry, numbers[3]).split(b"<ds:Signature", 1)[0] + b"</RegisterMutation>"
    # The good message's signature on another message: its digest does not match.
    signature = good.split(b"<ds:Signature", 1)[1]
    moved = birth(registry, numbers[4]).split(b"<ds:Signature", 1)[0] + b"<ds:Signature" + signature
    elsewhere = birth(registry, numbers[5], nis="11002")
    status, answer = post(
        client,
        django_capture_on_commit_callbacks,
        batch([good, forged, own, untrusted, unsigned, moved, good, elsewhere]),
        trusts_eloket,
    )
    assert status == 200
    assert outcomes(answer) == [
        ("received", ""),
        ("refused", "bad_signature"),
        ("refused", "untrusted_signer"),
        ("refused", "untrusted_signer"),
        ("refused", "unsigned"),
        ("refused", "bad_signature"),
        ("duplicate", ""),
        ("refused", "not_served"),
    ]
    assert list(Person.objects.values_list("national_id", flat=True)) == [A]
    assert Person.objects.get(national_id=A).last_name == "Aanval"
    assert RegistryMessage.objects.get().state == MessageState.APPLIED


@pytest.mark.django_db
def test_a_message_the_register_signed_for_someone_else_is_refused(
    client, django_capture_on_commit_callbacks, gent, registry, trusts_eloket
) -> None:  # type: ignore[no-untyped-def]
    """Attack: replay to Eloket a birth the register signed and addressed to another
    platform (a copy that passed through someone's hands), and one that names another
    sender, alone and in a batch. The signatures hold, the envelope says they are not
    Eloket's: refused, logged, the register untouched."""
    numbers = [make_belgian_number(dt.date(2026, 10, 5), 900 + 2 * i) for i in range(2)]
    for_another = birth(registry, numbers[0], receiver="other-platform")
    other_sender = birth(registry, numbers[1], sender="be-crossroads-bank")
    for data, code in ((for_another, "wrong_receiver"), (other_sender, "wrong_sender")):
        status, answer = post(client, django_capture_on_commit_callbacks, data, trusts_eloket)
        assert status == 400  # a refusal, as every message refused alone
        assert (answer.type, answer.body["Code"]) == ("Error", code)
    status, answer = post(
        client, django_capture_on_commit_callbacks,
        batch([for_another, other_sender, birth(registry, A)]), trusts_eloket,
    )  # fmt: skip
    assert outcomes(answer) == [
        ("refused", "wrong_receiver"),
        ("refused", "wrong_sender"),
        ("received", ""),
    ]
    assert list(Person.objects.values_list("national_id", flat=True)) == [A]
    refused = MessageLogEntry.objects.filter(event="refused")
    assert sorted(refused.values_list("detail", flat=True)) == sorted(
        ["wrong_receiver", "wrong_sender"] * 2
    )


def mutation(signer: wire.Signer, kind: str, number: str, sequence: int, **parts: object) -> bytes:
    body: list[wire.Field] = [
        ("Kind", kind),
        ("NationalNumber", number),
        ("Sequence", sequence),
        ("EffectiveDate", "2026-11-01"),
        ("Municipality", str(parts.pop("nis", "44021"))),
        *parts.items(),
    ]
    root = wire.build(
        "RegisterMutation", sender=keys.REGISTRY_PARTY, receiver=keys.ELOKET_PARTY, body=body
    )
    return signer.sign(root)


@pytest.mark.django_db
def test_a_mutation_for_another_municipalitys_resident_changes_nothing_there(
    client, django_capture_on_commit_callbacks, gent, brugge, add_people, registry,
    trusts_eloket,
) -> None:  # fmt: skip  # type: ignore[no-untyped-def]
    """Attack: a batch addressed to Gent, beside a good birth, records the death, a new
    address and a new name of someone Brugge's register holds. Gent's register does not
    hold them: each is refused on its own, Brugge's register is untouched, the birth is
    applied."""
    from conftest import person_record

    add_people(brugge, person_record(dt.date(1970, 5, 5), 61, first="Lies", last="Brugs"))
    lies = Person.objects.get(municipality=brugge)
    address = [("Street", "Kouter"), ("HouseNumber", "1"), ("Postcode", "9000"),
               ("MunicipalityName", "Gent"), ("Municipality", "44021")]  # fmt: skip
    others = [
        mutation(registry, "death", lies.national_id, 1),
        mutation(registry, "address_change", lies.national_id, 2, Address=address),
        mutation(registry, "name_change", lies.national_id, 3, LastName="Gents"),
    ]
    status, answer = post(
        client, django_capture_on_commit_callbacks, batch([birth(registry, A), *others]),
        trusts_eloket,
    )  # fmt: skip
    assert status == 200 and [o for o, _c in outcomes(answer)] == ["received"] * 4
    states = dict(RegistryMessage.objects.values_list("kind", "state"))
    assert states == {
        "birth": MessageState.APPLIED,
        "death": MessageState.REFUSED,
        "address_change": MessageState.REFUSED,
        "name_change": MessageState.REFUSED,
    }
    lies.refresh_from_db()
    assert lies.municipality_id == brugge.pk and lies.date_of_death is None
    assert lies.last_name == "Brugs"
    assert Person.objects.get(national_id=A).municipality_id == gent.pk


def test_a_second_body_beside_the_signed_one_is_refused(registry, pki) -> None:  # type: ignore[no-untyped-def]
    """Signature wrapping: a second RegisterMutation inside the signed one, or a second
    Body, or content hidden in the Signature element: refused, or not read."""
    verifier = wire.Verifier.from_file(pki / "registry.cert.pem")
    signed = birth(registry, A)
    other = birth(registry, B).split(b"?>", 1)[1].split(b"<ds:Signature", 1)[0]
    for wrapped in (
        signed.replace(b"</Body>", b"</Body>" + other.replace(b"</RegisterMutation>", b""), 1),
        signed.replace(b"<Envelope>", other + b"<Envelope>", 1),
    ):
        with pytest.raises(wire.MessageRefused):
            wire.receive(wrapped, verifier=verifier, max_bytes=MAX)
    hidden = signed.replace(
        b"</ds:Signature>",
        b"<ds:Object><Body xmlns='urn:eloket:registry:1'><Kind>death</Kind></Body></ds:Object>"
        b"</ds:Signature>",
    )
    try:
        message = wire.receive(hidden, verifier=verifier, max_bytes=MAX).message
    except wire.MessageRefused:
        return
    assert message.body["Kind"] == "birth"
    again = wire.read(
        wire.parse(
            wire.receive(hidden, verifier=verifier, max_bytes=MAX).signed_bytes, max_bytes=MAX
        )
    )
    assert again.body["Kind"] == "birth"


@pytest.mark.django_db
def test_a_changed_batch_acknowledgement_in_the_log_is_found(
    client, django_capture_on_commit_callbacks, gent, registry, trusts_eloket
) -> None:  # type: ignore[no-untyped-def]
    post(client, django_capture_on_commit_callbacks, batch([birth(registry, A)]), trusts_eloket)
    entry = MessageLogEntry.objects.get(direction="out", event="sent")
    assert wire.read(wire.parse(bytes(entry.xml), max_bytes=MAX)).type == "BatchAcknowledgement"
    assert messages_verify().problems == []
    changed = bytes(entry.xml).replace(b"received", b"refused")
    assert changed != bytes(entry.xml)
    MessageLogEntry._base_manager.filter(pk=entry.pk).update(xml=changed)
    assert len(messages_verify().problems) == 1
    MessageLogEntry._base_manager.filter(pk=entry.pk).update(xml=b"")  # the ack taken away
    assert len(messages_verify().problems) == 1


@pytest.mark.django_db
def test_a_sequence_past_what_the_database_holds_is_refused_on_its_own(
    client, django_capture_on_commit_callbacks, gent, registry, trusts_eloket
) -> None:  # type: ignore[no-untyped-def]
    """A signed mutation numbered past a 32-bit integer (the schema said any positive
    integer, the database column holds 2^31 - 1): it used to fail the whole request with a
    500, the good message beside it lost too. Now the schema bounds it: refused alone."""
    from cryptography.hazmat.primitives import serialization
    from lxml import etree
    from signxml import DigestAlgorithm, XMLSigner

    root = etree.fromstring(mutation(registry, "death", B, 2).split(b"<ds:Signature")[0]
                            + b"</RegisterMutation>")  # fmt: skip
    root.find(f"{{{wire.NS}}}Body/{{{wire.NS}}}Sequence").text = str(2**31)
    pem = registry.certificate.public_bytes(serialization.Encoding.PEM).decode()
    huge = etree.tostring(
        XMLSigner(signature_algorithm=wire.SIGNATURE_METHOD, digest_algorithm=DigestAlgorithm.SHA256,
                  c14n_algorithm=wire.C14N).sign(root, key=registry.key, cert=[pem]),
        xml_declaration=True, encoding="UTF-8",
    )  # fmt: skip
    status, answer = post(
        client, django_capture_on_commit_callbacks, batch([birth(registry, A), huge]),
        trusts_eloket,
    )  # fmt: skip
    assert status == 200 and outcomes(answer) == [("received", ""), ("refused", "schema_invalid")]
    assert Person.objects.filter(national_id=A).exists()
    top = mutation(registry, "death", B, 2**31 - 1)
    status, answer = post(client, django_capture_on_commit_callbacks, top, trusts_eloket)
    assert status == 200 and answer.body["Outcome"] == "received"


@pytest.mark.django_db
def test_a_batch_nobody_trusted_signed_is_one_refusal(
    client, django_capture_on_commit_callbacks, gent, registry, stranger, trusts_eloket
) -> None:  # type: ignore[no-untyped-def]
    """Attack: anyone may post to the inbox. A batch of a thousand messages, none signed by
    a registry trusted here, used to be a thousand entries appended to the message log
    (each under the lock of the chain's head) for one request. Now it is refused whole:
    one refusal in the log, one signed Error."""
    unsigned = birth(registry, A).split(b"<ds:Signature", 1)[0] + b"</RegisterMutation>"
    forged = birth(stranger, B)
    status, answer = post(
        client, django_capture_on_commit_callbacks, batch([unsigned] * 500 + [forged] * 500),
        trusts_eloket,
    )  # fmt: skip
    assert status == 400 and answer.type == "Error"
    assert answer.body["Code"] == "nothing_verified"
    assert list(MessageLogEntry.objects.order_by("sequence").values_list("event", flat=True)) == [
        "refused", "sent"
    ]  # fmt: skip
    assert not RegistryMessage.objects.exists()
    # One message a registry signed among them: each is answered on its own again.
    status, answer = post(
        client, django_capture_on_commit_callbacks, batch([unsigned, birth(registry, A)]),
        trusts_eloket,
    )  # fmt: skip
    assert status == 200 and outcomes(answer) == [("refused", "unsigned"), ("received", "")]
