"""Registry messages on the wire: XML documents of the types in `xsd/`, each validated
against its schema both ways and signed with an enveloped XML-DSig signature.

Reading a message from outside goes: size limit, then a refusal of any DTD (an XML bomb,
an external entity) before a parser sees it, then lxml with entities, the network and huge
trees off, then the signature against the certificates trusted (`Verifier`), then the
schema, and only then its content: taken from what the signature covers
(`VerifyResult.signed_xml`), never from the document as sent, so a signature moved onto
other content proves nothing. A comment or processing instruction is refused (canonical
XML leaves them out of what is signed, yet they cut a text read from the document as
sent, which is what is stored and applied), and the document as sent must read the same
as its signed part.

Signatures: enveloped, over the whole document (`Reference URI=""`), exclusive c14n,
ECDSA P-256 with SHA-256, the signer's certificate in `KeyInfo/X509Data`: a receiver
checks them with standard tools (`xmlsec1 --verify`). The key is parsed once per process.
"""

import datetime as dt
import re
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils.translation import gettext as _
from lxml import etree
from signxml import (
    CanonicalizationMethod,
    DigestAlgorithm,
    InvalidInput,
    InvalidSignature,
    SignatureMethod,
    XMLSigner,
    XMLVerifier,
)
from signxml.verifier import SignatureConfiguration

from eloket.common.errors import ApplicationError

NS = "urn:eloket:registry:1"
DS = "http://www.w3.org/2000/09/xmldsig#"
XSD_DIR = Path(__file__).parent / "xsd"
MESSAGE_TYPES = (
    "PersonLookupRequest",
    "PersonLookupAnswer",
    "RegisterMutation",
    "Acknowledgement",
    "BatchAcknowledgement",
    "Error",
)
BATCH = "MessageBatch"  # several signed messages in one request (not itself signed)
BATCH_MAX = 1000  # messages in one batch at most (its schema's maxOccurs)
MUTATION_KINDS = (
    "birth",
    "moved_in",
    "moved_out",
    "address_change",
    "death",
    "marriage",
    "name_change",
)
SIGNATURE_METHOD = SignatureMethod.ECDSA_SHA256
C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


class MessageRefused(ApplicationError):
    """A message that is not taken: it changes nothing; the sender gets an Error back."""

    code = "message_refused"


# --- Reading safely


_local = threading.local()


def _parser() -> etree.XMLParser:
    """One hardened parser per thread (lxml's parsers are not shared between threads)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            huge_tree=False,
            load_dtd=False,
            dtd_validation=False,
            remove_blank_text=False,
        )
        _local.parser = parser
    return parser


_DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml[^>]*?\bencoding\s*=\s*[\"']([^\"']*)[\"']")


def _declared_encoding(data: bytes) -> str:
    found = _DECLARATION.match(data[:200])
    return found.group(1).decode("ascii", "replace").strip().lower() if found else ""


def parse(data: bytes, *, max_bytes: int) -> etree._Element:
    """The document's root, or MessageRefused. Any DTD is refused before parsing: a
    registry message has none, and a DTD is how entity bombs and external entities come
    in. Only UTF-8 is read, so that the check for a DTD sees the bytes as they are (another
    encoding, by its byte order mark or declared, is refused: in UTF-7 `<!DOCTYPE` is
    `+ADw-!DOCTYPE`)."""
    if len(data) > max_bytes:
        raise MessageRefused(
            _("The message is larger than %(limit)d bytes.") % {"limit": max_bytes},
            code="too_large",
        )
    if (
        data.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00", b"\x4c\x6f\xa7\x94"))
        or (len(data) > 1 and data[1:2] == b"\x00")
        or _declared_encoding(data) not in ("", "utf-8", "utf8")
    ):
        # A declared UTF-7 would hide `<!DOCTYPE` from the check below (`+ADw-!DOCTYPE`).
        raise MessageRefused(_("A message must be encoded in UTF-8."), code="not_utf8")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data or b"<!doctype" in data.lower():
        raise MessageRefused(
            _("A message may not hold a document type declaration or entities."),
            code="dtd_refused",
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise MessageRefused(
            _("The message is not well-formed XML (%(reason)s).") % {"reason": str(exc)[:200]},
            code="not_xml",
        ) from exc
    if root.getroottree().docinfo.doctype:  # belt and braces: the parser saw a DTD
        raise MessageRefused(
            _("A message may not hold a document type declaration or entities."),
            code="dtd_refused",
        )
    return root


# --- Schemas


_schemas: dict[str, etree.XMLSchema] = {}
_schema_lock = threading.Lock()


def schema(message_type: str) -> etree.XMLSchema:
    with _schema_lock:
        if message_type not in _schemas:
            if message_type not in (*MESSAGE_TYPES, BATCH):
                raise KeyError(message_type)
            path = XSD_DIR / f"{message_type}.xsd"
            # The schemas are ours (in the repository); their include is a sibling file.
            document = etree.parse(str(path), etree.XMLParser(no_network=True))  # nosec B320
            _schemas[message_type] = etree.XMLSchema(document)
        return _schemas[message_type]


def message_type(root: etree._Element) -> str:
    qname = etree.QName(root)
    if qname.namespace != NS or qname.localname not in MESSAGE_TYPES:
        raise MessageRefused(
            _("This is not a registry message (%(tag)s).") % {"tag": str(root.tag)[:100]},
            code="unknown_type",
        )
    return qname.localname


def validate(root: etree._Element) -> str:
    """The message's type, once the document is valid against that type's schema."""
    kind = message_type(root)
    checker = schema(kind)
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise MessageRefused(
            _("The message does not follow its schema: %(error)s")
            % {"error": (error.message if error else "")[:300]},
            code="schema_invalid",
        )
    return kind


# --- Building


Field = tuple[str, Any]


def _append(parent: etree._Element, fields: Iterable[Field]) -> None:
    for name, value in fields:
        if value is None or value == "":
            continue
        child = etree.SubElement(parent, f"{{{NS}}}{name}")
        if isinstance(value, list | tuple):
            _append(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif isinstance(value, dt.date | dt.datetime):
            child.text = value.isoformat()
        else:
            child.text = str(value)


def new_id() -> str:
    return uuid.uuid4().hex


def now_stamp() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build(
    message_type: str,
    *,
    sender: str,
    receiver: str,
    body: Sequence[Field],
    message_id: str = "",
    correlation_id: str = "",
    timestamp: str = "",
) -> etree._Element:
    """An unsigned message of `message_type`, valid against its schema (else ValueError:
    a bug of ours, not the peer's)."""
    message_id = message_id or new_id()
    root = etree.Element(f"{{{NS}}}{message_type}", nsmap={None: NS})
    _append(
        root,
        [
            (
                "Envelope",
                [
                    ("MessageId", message_id),
                    ("CorrelationId", correlation_id or message_id),
                    ("Sender", sender),
                    ("Receiver", receiver),
                    ("Timestamp", timestamp or now_stamp()),
                ],
            ),
            ("Body", list(body)),
        ],
    )
    # The body element must exist even when it has nothing in it.
    try:
        validate(root)
    except MessageRefused as exc:
        raise ValueError(f"built an invalid {message_type}: {exc}") from exc
    return root


# --- Reading the content (of what the signature covers)


@dataclass
class Message:
    type: str
    message_id: str
    correlation_id: str
    sender: str
    receiver: str
    timestamp: str
    body: dict[str, Any] = field(default_factory=dict)
    root: Any = None


def _text(element: etree._Element | None, name: str) -> str:
    if element is None:
        return ""
    child = element.find(f"{{{NS}}}{name}")
    return (child.text or "").strip() if child is not None else ""


_IN_NS = f"{{{NS}}}"


def _as_dict(element: etree._Element) -> dict[str, Any]:
    # The tag as a string ("{namespace}name"), not etree.QName: every message read goes
    # through here, twice for a verified one (benchmarks/messaging.py --profile in).
    result: dict[str, Any] = {}
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or not tag.startswith(_IN_NS):
            continue
        result[tag[len(_IN_NS) :]] = _as_dict(child) if len(child) else (child.text or "").strip()
    return result


def read(root: etree._Element) -> Message:
    envelope = root.find(f"{{{NS}}}Envelope")
    body = root.find(f"{{{NS}}}Body")
    return Message(
        type=etree.QName(root).localname,
        message_id=_text(envelope, "MessageId"),
        correlation_id=_text(envelope, "CorrelationId"),
        sender=_text(envelope, "Sender"),
        receiver=_text(envelope, "Receiver"),
        timestamp=_text(envelope, "Timestamp"),
        body=_as_dict(body) if body is not None else {},
        root=root,
    )


# --- Signing and verifying


def load_certificates(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


class Signer:
    """Signs with one key and certificate, parsed once."""

    def __init__(self, key: Any, certificate: x509.Certificate) -> None:
        self.key = key
        self.certificate = certificate
        self._cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
        self._signer = XMLSigner(
            signature_algorithm=SIGNATURE_METHOD,
            digest_algorithm=DigestAlgorithm.SHA256,
            c14n_algorithm=C14N,
        )
        self._lock = threading.Lock()

    @classmethod
    def from_files(cls, key_path: Path, cert_path: Path) -> "Signer":
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        return cls(key, load_certificates(cert_path.read_bytes())[0])

    def sign(self, root: etree._Element) -> bytes:
        """The signed document's bytes (validated first: we send nothing invalid)."""
        validate(root)
        with self._lock:  # XMLSigner keeps some state per call
            signed = self._signer.sign(root, key=self.key, cert=[self._cert_pem])
        return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


@dataclass
class Verified:
    message: Message
    certificate: x509.Certificate
    signed_bytes: bytes


class Verifier:
    """Checks signatures against a fixed set of certificates (the registries' or
    Eloket's): the certificate in the signature must be one of them, byte for byte."""

    def __init__(self, trusted: Sequence[x509.Certificate]) -> None:
        self.trusted = {cert.public_bytes(serialization.Encoding.DER): cert for cert in trusted}
        self._config = SignatureConfiguration(
            require_x509=True,
            expect_references=1,
            signature_methods=frozenset({SignatureMethod.ECDSA_SHA256, SignatureMethod.RSA_SHA256}),
            digest_algorithms=frozenset({DigestAlgorithm.SHA256}),
        )

    @classmethod
    def from_file(cls, path: Path) -> "Verifier":
        return cls(load_certificates(path.read_bytes()))

    def _signer_certificate(self, root: etree._Element) -> x509.Certificate:
        signatures = root.findall(f"{{{DS}}}Signature")
        if not signatures:
            raise MessageRefused(_("The message is not signed."), code="unsigned")
        if len(signatures) > 1 or len(root.findall(f".//{{{DS}}}Signature")) > 1:
            raise MessageRefused(
                _("The message has more than one signature."), code="bad_signature"
            )
        found = signatures[0].findall(f".//{{{DS}}}X509Certificate")
        if len(found) != 1 or not (found[0].text or "").strip():
            raise MessageRefused(
                _("The signature does not carry its certificate."), code="bad_signature"
            )
        import base64
        import binascii

        try:
            der = base64.b64decode("".join((found[0].text or "").split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MessageRefused(
                _("The signature's certificate cannot be read."), code="bad_signature"
            ) from exc
        certificate = self.trusted.get(der)
        if certificate is None:
            raise MessageRefused(
                _("The message is signed with a certificate that is not trusted here."),
                code="untrusted_signer",
            )
        return certificate

    def verify(self, root: etree._Element) -> Verified:
        """The message as its signature covers it, validated; or MessageRefused."""
        message_type(root)
        if next(root.iter(etree.Comment, etree.ProcessingInstruction), None) is not None:
            # Canonical XML leaves comments out: a comment inside a name is not covered by
            # the signature, yet cuts the text read from the document as sent.
            raise MessageRefused(
                _("A signed message may not hold comments or processing instructions."),
                code="bad_signature",
            )
        certificate = self._signer_certificate(root)
        try:
            result = XMLVerifier().verify(
                root,
                x509_cert=certificate,
                expect_config=self._config,
                parser=_parser(),
            )
        except (InvalidSignature, InvalidInput) as exc:
            raise MessageRefused(
                _("The message's signature does not verify."), code="bad_signature"
            ) from exc
        assert not isinstance(result, list)  # nosec B101 (expect_references=1)
        signed = result.signed_xml
        if signed is None or etree.QName(signed) != etree.QName(root):
            raise MessageRefused(
                _("The signature does not cover the whole message."), code="bad_signature"
            )
        validate(root)
        message = read(signed)
        as_sent = read(root)  # what is stored and applied later: the signed content, to the letter
        if (as_sent.body, as_sent.message_id, as_sent.correlation_id, as_sent.sender) != (
            message.body,
            message.message_id,
            message.correlation_id,
            message.sender,
        ) or (as_sent.receiver, as_sent.timestamp) != (message.receiver, message.timestamp):
            raise MessageRefused(
                _("The signature does not cover the whole message."), code="bad_signature"
            )
        return Verified(
            message=message,
            certificate=certificate,
            signed_bytes=etree.tostring(root, xml_declaration=True, encoding="UTF-8"),
        )


def receive(data: bytes, *, verifier: Verifier, max_bytes: int) -> Verified:
    """Bytes from outside to a verified, valid message (or MessageRefused)."""
    return verifier.verify(parse(data, max_bytes=max_bytes))


def envelope_of(data: bytes, *, max_bytes: int) -> dict[str, str]:
    """What a refused message says of itself (its id and sender), to address the Error
    back, read with the same hardened parser; empty when it cannot even be parsed."""
    try:
        root = parse(data, max_bytes=max_bytes)
    except MessageRefused:
        return {}
    message = read(root)
    return {"message_id": message.message_id[:80], "sender": message.sender[:80]}


# --- Batches: several signed messages in one request


@dataclass
class BatchItem:
    """One message of a batch, by its position: verified, or refused (and why)."""

    position: int
    data: bytes
    verified: Verified | None = None
    refused: MessageRefused | None = None
    message_id: str = ""


def is_batch(root: etree._Element) -> bool:
    return bool(root.tag == f"{{{NS}}}{BATCH}")


def batch_build(documents: Sequence[bytes], *, sender: str, receiver: str) -> tuple[str, bytes]:
    """The batch id and the bytes of a `MessageBatch` carrying the signed `documents` as
    they are (each keeps its own signature), validated against the batch's schema."""
    if not 0 < len(documents) <= BATCH_MAX:
        raise ValueError(f"a batch holds 1 to {BATCH_MAX} messages, not {len(documents)}")
    batch_id = new_id()
    root = etree.Element(f"{{{NS}}}{BATCH}", nsmap={None: NS})
    _append(
        root,
        [
            (
                "Envelope",
                [
                    ("MessageId", batch_id),
                    ("CorrelationId", batch_id),
                    ("Sender", sender),
                    ("Receiver", receiver),
                    ("Timestamp", now_stamp()),
                ],
            )
        ],
    )
    etree.SubElement(root, f"{{{NS}}}Messages").text = "\n"
    head, _marker, tail = etree.tostring(root, encoding="UTF-8", xml_declaration=True).rpartition(
        b"\n</Messages>"
    )
    bodies = []
    for document in documents:  # the documents' own bytes, without their XML declarations
        start = document.find(b"?>") + 2 if document.startswith(b"<?xml") else 0
        bodies.append(document[start:].strip())
    data = head + b"\n" + b"\n".join(bodies) + b"\n</Messages>" + tail
    check = etree.fromstring(data, _parser())
    if not schema(BATCH).validate(check):
        raise ValueError(f"built an invalid {BATCH}: {schema(BATCH).error_log.last_error}")
    return batch_id, data


def batch_read(root: etree._Element, *, verifier: Verifier) -> tuple[Message, list[BatchItem]]:
    """A parsed `MessageBatch` (from `parse`: size and DTD checks done on the whole): its
    envelope, and each message read out as a document of its own, verified (signature
    against the trusted certificates, its own schema) or refused on its own. The batch
    itself failing its schema refuses it whole (MessageRefused)."""
    checker = schema(BATCH)
    if not checker.validate(root):
        error = checker.error_log.last_error
        raise MessageRefused(
            _("The message does not follow its schema: %(error)s")
            % {"error": (error.message if error else "")[:300]},
            code="schema_invalid",
        )
    envelope = read(root)
    items: list[BatchItem] = []
    messages = root.find(f"{{{NS}}}Messages")
    assert messages is not None  # nosec B101 (the schema requires it)
    for position, child in enumerate((c for c in messages if isinstance(c.tag, str)), 1):
        data = etree.tostring(child, xml_declaration=True, encoding="UTF-8")
        item = BatchItem(position=position, data=data)
        try:
            # A document of its own: the signature's Reference URI="" is this message.
            item.verified = verifier.verify(etree.fromstring(data, _parser()))
            item.message_id = item.verified.message.message_id
        except MessageRefused as exc:
            item.refused = exc
            item.message_id = read(child).message_id[:80]
        items.append(item)
    return envelope, items


@dataclass
class Outcome:
    position: int
    message_id: str
    outcome: str
    code: str = ""
    text: str = ""


def batch_acknowledgement(
    outcomes: Sequence[Outcome], *, sender: str, receiver: str, batch_id: str
) -> etree._Element:
    """The unsigned `BatchAcknowledgement` of a batch (sign it with a `Signer`)."""
    body: list[Field] = []
    for item in outcomes:
        usable = re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,79}", item.message_id or "")
        body.append(
            (
                "Item",
                [
                    ("Position", item.position),
                    ("MessageId", item.message_id if usable else ""),
                    ("Outcome", item.outcome),
                    ("Code", item.code[:120]),
                    ("Text", item.text[:1000]),
                ],
            )
        )
    return build(
        "BatchAcknowledgement",
        sender=sender,
        receiver=receiver,
        correlation_id=batch_id,
        body=body,
    )


def batch_outcomes(message: Message) -> list[Outcome]:
    """The items of a verified `BatchAcknowledgement` (read from what its signature covers)."""
    body = message.root.find(f"{{{NS}}}Body")
    return [
        Outcome(
            position=int(_text(item, "Position") or 0),
            message_id=_text(item, "MessageId"),
            outcome=_text(item, "Outcome"),
            code=_text(item, "Code"),
            text=_text(item, "Text"),
        )
        for item in (body.findall(f"{{{NS}}}Item") if body is not None else [])
    ]
