"""The message log's evidence (issue 14, point 7): `eloket messages verify` and
`eloket messages export --case CODE`.

`messages_verify` checks, in order: the hash chain (as `eloket audit verify` does); every
stored message's signature (signxml, against the certificates configured: an incoming one
the registries', an outgoing one Eloket's) and that the bytes stored are the ones the log
took the SHA-256 of; the registry's acknowledgements kept the same way; the
acknowledgements and errors Eloket signed, kept in the log itself, the same way; every time-stamp
(a token over the head entry it names, which must still be in the chain with that hash).

`case_export` writes one case's evidence as a zip an auditor checks without Eloket: the
signed XML, the case's log entries, the chain from its first entry to a time-stamped head
(every entry in between: each entry's hash covers the one before it, so recomputing the
head needs them all; they hold message ids, types, events and hashes, no person's data),
the time-stamp token, the certificates, a stdlib-only `check_chain.py` and a README.
"""

import datetime as dt
import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.chain import chain_families
from eloket.common.errors import ApplicationError
from eloket.messaging import wire
from eloket.messaging.inbox import CHAIN, XML_KEPT
from eloket.messaging.keys import own_signer, registry_verifier
from eloket.messaging.models import (
    Direction,
    MessageLogEntry,
    MessageLogTimestamp,
    RegistryMessage,
)
from eloket.messaging.timestamps import token_certificates, token_info, token_problem

# The events whose SHA-256 is of the message's own stored bytes (the first event of a
# message in, of a message out); `delivered` is of the registry's acknowledgement.
FIRST_EVENTS = {Direction.IN: "received", Direction.OUT: "queued"}
BATCH = 500

Progress = Callable[[str, int, int], None]


@dataclass
class VerifyReport:
    entries: int = 0
    messages: int = 0
    signatures: int = 0
    timestamps: int = 0
    stamped_up_to: int = 0
    stamped_at: dt.datetime | None = None
    problems: list[str] = field(default_factory=list)


def _chain_problems(progress: Progress | None) -> list[str]:
    family = chain_families.get("messages")
    if family is None:  # pragma: no cover (registered by the app)
        return ["the message log's chain family is not registered"]

    entries = MessageLogEntry.objects.filter(chain=CHAIN).count() if progress else 0

    def said(done: int, total: int, read: int) -> None:
        if progress:
            progress("chain", read, entries)

    return [str(problem) for problem in family.verify(progress=said)]


def _verifiers() -> dict[str, wire.Verifier]:
    return {
        Direction.IN: registry_verifier(),
        Direction.OUT: wire.Verifier([own_signer().certificate]),
    }


def _messages_in_batches() -> Iterator[list[RegistryMessage]]:
    last = 0
    while True:
        rows = list(RegistryMessage.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def _signature_problem(verifier: wire.Verifier, data: bytes) -> str | None:
    try:
        wire.receive(data, verifier=verifier, max_bytes=max(len(data), 1))
    except wire.MessageRefused as exc:
        return f"{exc} ({exc.code})"
    return None


def _message_problems(report: VerifyReport, progress: Progress | None) -> list[str]:
    problems: list[str] = []
    total = RegistryMessage.objects.count()
    if not total:  # a platform without messaging configured has nothing to check here
        return problems
    verifiers = _verifiers()
    answers = wire.Verifier(list(verifiers[Direction.IN].trusted.values()))
    for rows in _messages_in_batches():
        logged: dict[tuple[str, str, str], set[str]] = {}
        for direction, message_id, event, digest in MessageLogEntry.objects.filter(
            chain=CHAIN, message_id__in=[m.message_id for m in rows]
        ).values_list("direction", "message_id", "event", "xml_sha256"):
            logged.setdefault((direction, message_id, event), set()).add(digest)
        for message in rows:
            report.messages += 1
            name = f"message {message.pk} ({message.direction} {message.type} {message.message_id})"
            data = bytes(message.xml)
            problem = _signature_problem(verifiers[message.direction], data)
            if problem:
                problems.append(f"{name}: its signature does not verify: {problem}")
                continue
            report.signatures += 1
            first = logged.get(
                (message.direction, message.message_id, FIRST_EVENTS[Direction(message.direction)])
            )
            if first is None:
                problems.append(f"{name}: the message log has no entry of it")
            elif hashlib.sha256(data).hexdigest() not in first:
                problems.append(f"{name}: the stored XML is not the one the log took the hash of")
            answer = bytes(message.answer_xml or b"")
            if answer:
                problem = _signature_problem(answers, answer)
                if problem:
                    problems.append(
                        f"{name}: the acknowledgement's signature does not verify: {problem}"
                    )
                    continue
                report.signatures += 1
                delivered = logged.get((message.direction, message.message_id, "delivered"), set())
                if hashlib.sha256(answer).hexdigest() not in delivered:
                    problems.append(
                        f"{name}: the stored acknowledgement is not the one the log took the hash of"
                    )
        if progress:
            progress("signatures", report.messages, total)
    return problems


def _kept_xml_problems(report: VerifyReport, progress: Progress | None) -> list[str]:
    """The documents Eloket signed and the log keeps itself (its acknowledgements and
    errors): each one's SHA-256 is the entry's chained hash, and its signature verifies
    against Eloket's certificate."""
    problems: list[str] = []
    for sequence, kind, message_id in (
        MessageLogEntry.objects.filter(chain=CHAIN, detail=XML_KEPT, xml=b"")
        .order_by("sequence")
        .values_list("sequence", "type", "message_id")
    ):
        problems.append(
            f"log entry {sequence} ({kind} {message_id}): the signed XML it kept is gone"
        )
    kept = MessageLogEntry.objects.filter(chain=CHAIN).exclude(xml=b"")
    total = kept.count() if progress else 0
    if not kept.exists():
        return problems
    verifier = wire.Verifier([own_signer().certificate])
    last, done = 0, 0
    while True:
        rows = list(
            kept.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "sequence", "type", "message_id", "xml_sha256", "xml")[:BATCH]
        )
        if not rows:
            return problems
        for _pk, sequence, kind, message_id, digest, xml in rows:
            data = bytes(xml)
            name = f"log entry {sequence} ({kind} {message_id})"
            if hashlib.sha256(data).hexdigest() != digest:
                problems.append(f"{name}: the XML kept is not the one the log took the hash of")
                continue
            problem = _signature_problem(verifier, data)
            if problem:
                problems.append(f"{name}: its signature does not verify: {problem}")
                continue
            report.signatures += 1
        last, done = rows[-1][0], done + len(rows)
        if progress:
            progress("signatures", done, total)


def _timestamp_problems(report: VerifyReport, progress: Progress | None) -> list[str]:
    problems: list[str] = []
    stamps = list(MessageLogTimestamp.objects.filter(chain=CHAIN).order_by("length"))
    for done, stamp in enumerate(stamps, 1):
        name = f"time-stamp {stamp.pk} (of entry {stamp.length})"
        entry = MessageLogEntry.objects.filter(chain=CHAIN, sequence=stamp.length).first()
        if entry is None:
            problems.append(f"{name}: the entry it dates is not in the log")
        elif entry.entry_hash != stamp.head_hash:
            problems.append(f"{name}: it dates another entry than the one in the log there")
        else:
            problem = token_problem(stamp)
            if problem:
                problems.append(f"{name}: {problem}")
            else:
                report.timestamps += 1
                report.stamped_up_to = stamp.length
                report.stamped_at = stamp.stamped_at
        if progress:
            progress("time-stamps", done, len(stamps))
    return problems


def messages_verify(progress: Progress | None = None) -> VerifyReport:
    """Check the message log's chain, the stored signatures and the time-stamps; the
    report's `problems` is empty when all is well. `progress(stage, done, total)` is
    called every batch (a long log takes a while)."""
    report = VerifyReport(
        entries=MessageLogEntry.objects.filter(chain=CHAIN).count(),
    )
    report.problems += _chain_problems(progress)
    report.problems += _message_problems(report, progress)
    report.problems += _kept_xml_problems(report, progress)
    report.problems += _timestamp_problems(report, progress)
    return report


# --- The export of one case's evidence


class ExportRefused(ApplicationError):
    code = "export_refused"


@dataclass
class ExportResult:
    path: Path
    messages: int
    entries: int
    proof_entries: int
    stamped: bool


def _entry_json(entry: MessageLogEntry) -> dict[str, Any]:
    return {
        "chain": entry.chain,
        "sequence": entry.sequence,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
        "content": entry.chained_content(),
    }


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows
    ).encode()


def _pem(certificate: Any) -> bytes:
    from asn1crypto import pem

    return bytes(pem.armor("CERTIFICATE", certificate.dump()))


def _certificates(stamp: MessageLogTimestamp | None) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "certificates/eloket.cert.pem": own_signer().certificate.public_bytes(
            serialization.Encoding.PEM
        ),
        "certificates/registry.cert.pem": b"".join(
            cert.public_bytes(serialization.Encoding.PEM)
            for cert in registry_verifier().trusted.values()
        ),
    }
    roots = Path(settings.ELOKET_TRUST_ROOTS) if settings.ELOKET_TRUST_ROOTS else None
    if roots is not None and roots.exists():
        files["certificates/root.cert.pem"] = roots.read_bytes()
    if stamp is not None:
        issued = [c for c in token_certificates(bytes(stamp.token)) if c.self_signed == "no"]
        files["certificates/tsa.pem"] = b"".join(_pem(c) for c in issued)
    return files


def _access_logged(messages: list[RegistryMessage], case: Any, actor: Actor) -> None:
    """The signed XML of a mutation carries the person's register data: exporting it is
    a read, written to their access log when they are in the municipality's register."""
    from eloket.register.access_log import access_log_write
    from eloket.register.models import DataCategory, Person

    numbers = {m.national_number for m in messages if m.national_number}
    for person in Person.objects.filter(municipality=case.municipality, national_id__in=numbers):
        access_log_write(
            person=person,
            actor=actor,
            data=[DataCategory.IDENTITY, DataCategory.ADDRESSES],
            purpose=_("Evidence of request %(code)s exported for an audit")
            % {"code": case.tracking_code},
            case_ref=case.tracking_code,
        )


def case_export(*, code: str, out: Path, actor: Actor | None = None) -> ExportResult:
    """Write the evidence of one case's messages to the zip `out`."""
    from eloket.cases.codes import normalise_tracking_code
    from eloket.cases.models import Case

    case = Case.objects.filter(tracking_code=normalise_tracking_code(code)).first()
    if case is None:
        raise ExportRefused(_("There is no request with that code."))
    messages = list(
        RegistryMessage.objects.filter(case_code=case.tracking_code).order_by("created_at", "pk")
    )
    if not messages:
        raise ExportRefused(
            _("No message exchanged with the national register belongs to request %(code)s.")
            % {"code": case.tracking_code}
        )
    ids = [m.message_id for m in messages]
    entries = list(
        MessageLogEntry.objects.filter(chain=CHAIN, message_id__in=ids).order_by("sequence")
    ) + list(
        MessageLogEntry.objects.filter(chain=CHAIN, correlation_id__in=ids)
        .exclude(message_id__in=ids)
        .order_by("sequence")
    )
    entries.sort(key=lambda e: e.sequence)
    first, last = entries[0].sequence, entries[-1].sequence
    stamp = (
        MessageLogTimestamp.objects.filter(chain=CHAIN, length__gte=last).order_by("length").first()
    )
    from eloket.common.models import ChainHead

    head = ChainHead.objects.get(chain=CHAIN)
    up_to = stamp.length if stamp else head.length
    proof = [
        _entry_json(e)
        for e in MessageLogEntry.objects.filter(
            chain=CHAIN, sequence__gte=first, sequence__lte=up_to
        ).order_by("sequence")
    ]
    files: dict[str, bytes] = {}
    for number, message in enumerate(messages, 1):
        stem = f"messages/{number:02d}-{message.direction}-{message.type}-{message.message_id}"
        files[f"{stem}.xml"] = bytes(message.xml)
        if message.answer_xml:
            files[f"{stem}.acknowledgement.xml"] = bytes(message.answer_xml)
    log_rows = [{**_entry_json(e), "at": e.at.isoformat()} for e in entries]
    files["log.jsonl"] = _jsonl(log_rows)
    files["chain/proof.jsonl"] = _jsonl(proof)
    head_json: dict[str, Any] = {
        "chain": CHAIN,
        "length": up_to,
        "head_hash": stamp.head_hash if stamp else head.last_hash,
        "time_stamped": stamp is not None,
    }
    if stamp is not None:
        info = token_info(bytes(stamp.token))
        head_json |= {
            "stamped_at": stamp.stamped_at.isoformat(),
            "tsa_url": stamp.tsa_url,
            "token_serial_number": str(info["serial_number"].native),
        }
        files["timestamp/token.tsr"] = bytes(stamp.token)
    files["chain/head.json"] = (json.dumps(head_json, indent=2) + "\n").encode()
    files |= _certificates(stamp)
    files["check_chain.py"] = CHECK_CHAIN.encode()
    files["README.txt"] = _readme(case.tracking_code, head_json, stamp is not None).encode()
    _access_logged(
        messages, case, actor or Actor.system("eloket messages export", case.municipality)
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            archive.writestr(name, files[name])
    out.write_bytes(buffer.getvalue())
    return ExportResult(
        path=out,
        messages=len(messages),
        entries=len(entries),
        proof_entries=len(proof),
        stamped=stamp is not None,
    )


def _readme(code: str, head: dict[str, Any], stamped: bool) -> str:
    stamp_part = (
        f"""3. The time-stamp of the head (RFC 3161): the token's message imprint is the head
   entry's hash ({head["head_hash"]}), so it dates every entry up to number {head["length"]}:

     openssl ts -verify -token_in -in timestamp/token.tsr \\
       -digest {head["head_hash"]} \\
       -CAfile certificates/root.cert.pem -untrusted certificates/tsa.pem

   prints "Verification: OK". `openssl ts -reply -token_in -in timestamp/token.tsr -text`
   shows its time ({head.get("stamped_at", "")}).
"""
        if stamped
        else f"""3. No time-stamp covers these entries yet (the log is time-stamped in batches, every
   few minutes): chain/proof.jsonl runs to the head as it was at the export (entry
   {head["length"]}). Export again later for the time-stamped proof.
"""
    )
    return f"""Evidence of the messages exchanged with the national register for request {code}
==========================================================================

messages/            the signed XML messages (and the register's signed acknowledgements)
log.jsonl            their entries in Eloket's message log (hash-chained)
chain/proof.jsonl    every entry from the first of these to the time-stamped head, with the
                     content its hash covers (message ids, types, events, SHA-256 of the XML)
chain/head.json      the head: its number and hash, and when it was time-stamped
timestamp/token.tsr  the RFC 3161 time-stamp token of that head (DER)
certificates/        the signers' certificates (Eloket's, the register's, the TSA's, the root)
check_chain.py       recomputes the chain (Python 3, standard library only)

How to check it
---------------

1. The signatures (XML-DSig, enveloped, over the whole document), with xmlsec1:

     for f in messages/*.xml; do
       xmlsec1 --verify --trusted-pem certificates/root.cert.pem "$f"
     done

   Each prints "OK". The signer's certificate is in the signature (KeyInfo/X509Data);
   compare it with certificates/eloket.cert.pem (messages out) or registry.cert.pem (in).
   (root.cert.pem holds the roots the platform trusts; if the register's certificate
   comes from another authority, give xmlsec1 that authority's root instead.)

2. The chain: every entry's hash is the SHA-256 of
   {{"chain", "sequence", "previous" (the entry before's hash), "content"}} as JSON (keys
   sorted, no spaces, UTF-8), so

     python3 check_chain.py

   recomputes every hash from the first entry of this request to the head, checks each
   links to the one before, that the head's hash is the one in chain/head.json, that the
   request's entries in log.jsonl are in the chain, and that each message's SHA-256 is
   the one its entry holds.

{stamp_part}"""


# The auditor's chain check: standard library only, so it runs anywhere Python 3 does.
CHECK_CHAIN = r'''"""Recompute Eloket's message-log chain from this export (see README.txt)."""
import glob
import hashlib
import json
import sys


def digest(row):
    canonical = json.dumps(
        {"chain": row["chain"], "sequence": row["sequence"],
         "previous": row["previous_hash"], "content": row["content"]},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def lines(path):
    with open(path, encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]


def main():
    proof = lines("chain/proof.jsonl")
    head = json.load(open("chain/head.json", encoding="utf-8"))
    previous = proof[0]["previous_hash"]
    for row in proof:
        if row["previous_hash"] != previous:
            sys.exit(f"entry {row['sequence']} does not link to the entry before it")
        if digest(row) != row["entry_hash"]:
            sys.exit(f"entry {row['sequence']}: its hash does not match its content")
        previous = row["entry_hash"]
    if proof[-1]["sequence"] != head["length"] or previous != head["head_hash"]:
        sys.exit("the chain does not end at the head in chain/head.json")
    chained = {row["sequence"]: row["entry_hash"] for row in proof}
    hashes = set()
    for entry in lines("log.jsonl"):
        if chained.get(entry["sequence"]) != entry["entry_hash"]:
            sys.exit(f"log entry {entry['sequence']} is not in the chain")
        hashes.add(entry["content"]["xml_sha256"])
    for path in sorted(glob.glob("messages/*.xml")):
        with open(path, "rb") as file:
            if hashlib.sha256(file.read()).hexdigest() not in hashes:
                sys.exit(f"{path}: its SHA-256 is not in the log")
    print(f"OK: {len(proof)} entries recomputed up to entry {head['length']} ({previous})")


main()
'''
