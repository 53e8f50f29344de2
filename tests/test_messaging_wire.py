"""Registry messages on the wire (issue 14, point 1): schemas both ways, XML-DSig signing
and verification against trusted certificates, and the hardened parser that refuses an XML
bomb or an external entity before anything else."""

import shutil
import socket
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from signxml import XMLSigner

from eloket.messaging import keys, wire

MAX = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("pki") / "messaging"
    keys.demo_messaging_pki(directory)
    return directory


@pytest.fixture(scope="module")
def eloket(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "eloket.key.pem", pki / "eloket.cert.pem")


@pytest.fixture(scope="module")
def registry(pki: Path) -> wire.Signer:
    return wire.Signer.from_files(pki / "registry.key.pem", pki / "registry.cert.pem")


@pytest.fixture(scope="module")
def trusts_registry(pki: Path) -> wire.Verifier:
    return wire.Verifier.from_file(pki / "registry.cert.pem")


def mutation(**changes: object) -> etree._Element:
    body = {
        "Kind": "death",
        "NationalNumber": "85010112345",
        "Sequence": 1,
        "EffectiveDate": "2026-11-01",
        "Municipality": "44021",
    }
    body.update(changes)  # type: ignore[arg-type]
    return wire.build(
        "RegisterMutation",
        sender=keys.REGISTRY_PARTY,
        receiver=keys.ELOKET_PARTY,
        body=list(body.items()),
    )


def test_signed_message_round_trip(registry: wire.Signer, trusts_registry: wire.Verifier) -> None:
    data = registry.sign(mutation())
    assert b'<ds:Reference URI="">' in data
    assert b"<ds:X509Certificate>" in data
    verified = wire.receive(data, verifier=trusts_registry, max_bytes=MAX)
    message = verified.message
    assert message.type == "RegisterMutation"
    assert message.sender == "be-national-register"
    assert message.message_id == message.correlation_id
    assert message.body["Kind"] == "death"
    assert message.body["NationalNumber"] == "85010112345"
    assert message.timestamp.endswith("Z")


def test_every_message_type_builds_and_validates(registry: wire.Signer) -> None:
    person = [
        ("NationalNumber", "85010112345"),
        ("FirstNames", "Anna"),
        ("LastName", "Peeters"),
        ("Sex", "F"),
        ("BirthDate", "1985-01-01"),
        ("Nationality", "BE"),
    ]
    bodies = {
        "PersonLookupRequest": [("NationalNumber", "85010112345"), ("Purpose", "a test")],
        "PersonLookupAnswer": [("Found", True), ("Person", person)],
        "RegisterMutation": [
            ("Kind", "birth"),
            ("NationalNumber", "85010112345"),
            ("Sequence", 1),
            ("EffectiveDate", "2026-11-01"),
            ("Municipality", "44021"),
            ("Person", person),
        ],
        "Acknowledgement": [("Acknowledged", "abc"), ("Outcome", "received")],
        "Error": [("RefersTo", "abc"), ("Code", "unknown_person"), ("Text", "Nobody.")],
    }
    for kind, body in bodies.items():
        data = registry.sign(wire.build(kind, sender="a", receiver="b", body=body))
        assert wire.validate(wire.parse(data, max_bytes=MAX)) == kind


def test_building_an_invalid_message_fails_here() -> None:
    with pytest.raises(ValueError, match="invalid RegisterMutation"):
        mutation(Kind="emigrated")
    with pytest.raises(ValueError, match="invalid RegisterMutation"):
        mutation(NationalNumber="123")


def refused(data: bytes, verifier: wire.Verifier, code: str) -> None:
    with pytest.raises(wire.MessageRefused) as caught:
        wire.receive(data, verifier=verifier, max_bytes=MAX)
    assert caught.value.code == code, caught.value


def test_changed_content_is_refused(registry: wire.Signer, trusts_registry: wire.Verifier) -> None:
    data = registry.sign(mutation())
    refused(data.replace(b"85010112345", b"85010112346"), trusts_registry, "bad_signature")
    refused(data.replace(b"<Kind>death", b"<Kind>birth"), trusts_registry, "bad_signature")


def test_unsigned_and_untrusted_are_refused(
    eloket: wire.Signer, trusts_registry: wire.Verifier
) -> None:
    unsigned = etree.tostring(mutation(), xml_declaration=True, encoding="UTF-8")
    refused(unsigned, trusts_registry, "unsigned")
    # Signed well, but by Eloket's key: not a registry's.
    refused(eloket.sign(mutation()), trusts_registry, "untrusted_signer")


def test_signed_but_schema_invalid_is_refused(pki: Path, trusts_registry: wire.Verifier) -> None:
    root = mutation()
    root.find(f"{{{wire.NS}}}Body/{{{wire.NS}}}Kind").text = "emigrated"  # type: ignore[union-attr]
    signer = XMLSigner(signature_algorithm=wire.SIGNATURE_METHOD, c14n_algorithm=wire.C14N)
    signed = signer.sign(
        root,
        key=(pki / "registry.key.pem").read_bytes(),
        cert=(pki / "registry.cert.pem").read_text(),
    )
    refused(etree.tostring(signed), trusts_registry, "schema_invalid")


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<RegisterMutation xmlns="urn:eloket:registry:1">&lol3;</RegisterMutation>"""


def test_xml_bomb_and_external_entity_are_refused_without_network(
    trusts_registry: wire.Verifier,
) -> None:
    refused(BOMB, trusts_registry, "dtd_refused")
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.3)
    port = listener.getsockname()[1]
    try:
        external = (
            b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:'
            + str(port).encode()
            + b'/x">]>\n<RegisterMutation xmlns="urn:eloket:registry:1">&x;</RegisterMutation>'
        )
        refused(external, trusts_registry, "dtd_refused")
        local_file = external.replace(
            b"http://127.0.0.1:" + str(port).encode() + b"/x", b"file:///etc/passwd"
        )
        refused(local_file, trusts_registry, "dtd_refused")
        with pytest.raises(TimeoutError):
            listener.accept()  # nobody tried to fetch the entity
    finally:
        listener.close()


def test_oversized_and_odd_encodings_are_refused(
    registry: wire.Signer, trusts_registry: wire.Verifier
) -> None:
    data = registry.sign(mutation())
    with pytest.raises(wire.MessageRefused) as caught:
        wire.receive(data, verifier=trusts_registry, max_bytes=len(data) - 1)
    assert caught.value.code == "too_large"
    utf16 = data.decode().replace("UTF-8", "UTF-16").encode("utf-16")
    refused(utf16, trusts_registry, "not_utf8")
    refused(b"<not xml", trusts_registry, "not_xml")
    refused(b"<Other xmlns='urn:x'/>", trusts_registry, "unknown_type")


def test_signature_wrapping_gives_the_signed_content(
    registry: wire.Signer, trusts_registry: wire.Verifier
) -> None:
    """A second copy of the body beside the signed one is refused by the schema; the
    content read is the signed one."""
    data = registry.sign(mutation())
    wrapped = data.replace(b"<Body>", b"<Body><Kind>birth</Kind></Body><Body>", 1)
    with pytest.raises(wire.MessageRefused):
        wire.receive(wrapped, verifier=trusts_registry, max_bytes=MAX)


@pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 is not installed")
def test_xmlsec1_accepts_elokets_signatures(eloket: wire.Signer, pki: Path, tmp_path: Path) -> None:
    """An implementation independent of signxml checks the signature and the chain."""
    message = tmp_path / "message.xml"
    message.write_bytes(eloket.sign(mutation()))
    root = pki.parent / "root.cert.pem"
    result = subprocess.run(  # nosec B603
        ["xmlsec1", "--verify", "--trusted-pem", str(root), str(message)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stderr
    tampered = tmp_path / "tampered.xml"
    tampered.write_bytes(message.read_bytes().replace(b"85010112345", b"85010112346"))
    result = subprocess.run(  # nosec B603
        ["xmlsec1", "--verify", "--trusted-pem", str(root), str(tampered)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
