"""Checkpoints: every hash chain's head, signed and kept outside the database.

A hash chain (`common/chain.py`) shows an entry changed or removed in its middle, but its
head row lives in the same database as the entries: someone who deletes the newest
entries and sets the head back to an earlier entry's hash, or deletes a municipality's
whole chain with its head, leaves chains that fit together. A checkpoint is a file that
lists, for every chain, its length and head hash, with the time; it is signed with an
Ed25519 key kept in a file (`ELOKET_CHECKPOINT_KEY`), never in the database, and written
to a directory outside it (`ELOKET_CHECKPOINT_DIR`) by the periodic job below and by
`eloket audit checkpoint`. `eloket audit verify` checks the signatures, then that every
chain still reaches the head the last checkpoint saw (`chain.Anchor`). A municipality
that never wrote an entry has no chain, in the database or in a checkpoint.

The checkpoints are a chain of their own: numbered files (`checkpoint-00000001.json`,
one new file each time, never rewritten, all kept: they are small), each naming the
SHA-256 of the one before, so that a removed or replaced checkpoint shows as well. Only
the newest ones could go unnoticed: `eloket audit checkpoint` prints the digest of what it
wrote, for the operator to keep elsewhere, and `eloket audit verify --anchor DIGEST`
fails when that checkpoint is gone.

Before writing, every chain is checked against the previous checkpoint: a chain that no
longer reaches the head seen then keeps that old head in the new checkpoint (and the job
logs an error), so a checkpoint never makes a cut-back chain look whole. With
`ELOKET_TSA_URL` set, each checkpoint also carries an RFC 3161 time-stamp over it.
"""

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.utils import timezone

from eloket.common.chain import GENESIS, Anchor, chain_families
from eloket.common.schedule import PeriodicJob, periodic_jobs

log = logging.getLogger(__name__)

FORMAT = "eloket-checkpoint/1"
FILE_NAME = re.compile(r"^checkpoint-(\d{8})\.json$")
HASH = re.compile(r"^[0-9a-f]{64}$")


class CheckpointError(Exception):
    """Checkpoints cannot be written or checked (no directory, no key, a bad last one)."""


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# --- The key: a file, never the database.


def _signing_key() -> Ed25519PrivateKey:
    path = settings.ELOKET_CHECKPOINT_KEY
    if not path:
        raise CheckpointError("ELOKET_CHECKPOINT_KEY is not set")
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"the checkpoint key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"the checkpoint key {path} is not an Ed25519 key")
    return key


def verifying_key() -> Ed25519PublicKey:
    """The public key checkpoints are checked with: `ELOKET_CHECKPOINT_PUBLIC_KEY` where
    only verification happens, otherwise the signing key's own."""
    path = settings.ELOKET_CHECKPOINT_PUBLIC_KEY
    if not path:
        return _signing_key().public_key()
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise CheckpointError(f"the checkpoint public key {path} cannot be read: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError(f"the checkpoint public key {path} is not an Ed25519 key")
    return key


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a key, written into each checkpoint it signs."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem() -> str:
    return (
        verifying_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


# --- Reading.


@dataclass
class Checkpoint:
    number: int
    at: dt.datetime
    previous: str
    chains: dict[str, Anchor]
    key: str
    path: Path
    digest: str  # SHA-256 of the file: what the next checkpoint names as `previous`
    document: dict[str, Any] = field(repr=False)

    @property
    def label(self) -> str:
        return f"checkpoint {self.number} of {self.at:%Y-%m-%d %H:%M} UTC"

    def signed_part(self) -> bytes:
        return _canonical(
            {k: v for k, v in self.document.items() if k not in ("signature", "timestamp")}
        )

    def time_stamped_part(self) -> bytes:
        return _canonical({k: v for k, v in self.document.items() if k != "timestamp"})


def checkpoint_directory() -> Path | None:
    value = settings.ELOKET_CHECKPOINT_DIR
    return Path(value) if value else None


def checkpoint_files(directory: Path | None = None) -> list[tuple[int, Path]]:
    """The checkpoint files of `directory` (the configured one), by number."""
    directory = directory or checkpoint_directory()
    if directory is None or not directory.is_dir():
        return []
    found = []
    for path in directory.iterdir():
        match = FILE_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def _parse(path: Path, raw: bytes) -> Checkpoint:
    try:
        document = json.loads(raw)
        if document.get("format") != FORMAT:
            raise ValueError(f"the format is not {FORMAT}")
        number = int(document["number"])
        match = FILE_NAME.match(path.name)
        if match and int(match.group(1)) != number:
            raise ValueError(f"it says it is number {number}")
        at = dt.datetime.fromisoformat(document["at"])
        if at.tzinfo is None:
            raise ValueError("its time has no time zone")
        label = f"checkpoint {number} of {at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC"
        chains = {}
        for name, seen in document["chains"].items():
            length, head = int(seen["length"]), str(seen["head"])
            if length < 1 or not HASH.match(head):
                raise ValueError(f"chain {name} has no valid length and head")
            chains[str(name)] = Anchor(length, head, seen_by=label)
        previous, key = str(document["previous"]), str(document["key"])
        if not isinstance(document["signature"], str):
            raise ValueError("it has no signature")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"{path.name} is not a readable checkpoint ({exc})") from exc
    return Checkpoint(
        number=number,
        at=at.astimezone(dt.UTC),
        previous=previous,
        chains=chains,
        key=key,
        path=path,
        digest=hashlib.sha256(raw).hexdigest(),
        document=document,
    )


def checkpoint_read(path: Path) -> Checkpoint:
    return _parse(path, path.read_bytes())


def _signature_problem(checkpoint: Checkpoint, public: Ed25519PublicKey) -> str | None:
    expected = key_id(public)
    if checkpoint.key != expected:
        return (
            f"{checkpoint.path.name} is signed with another key ({checkpoint.key}), not "
            f"this platform's ({expected})"
        )
    try:
        signature = base64.b64decode(checkpoint.document["signature"], validate=True)
        public.verify(signature, checkpoint.signed_part())
    except (InvalidSignature, ValueError, binascii.Error):
        return (
            f"{checkpoint.path.name}: the signature does not verify; the file was altered or forged"
        )
    return None


def _contradictions(before: Checkpoint, after: Checkpoint) -> list[str]:
    """What a later checkpoint says against an earlier one (chains only grow)."""
    problems = []
    if after.at < before.at:
        problems.append(f"{after.label} is older than {before.label}")
    for chain, seen in before.chains.items():
        now = after.chains.get(chain)
        if now is None:
            problems.append(
                f"{after.label} no longer lists chain {chain}, which {before.label} saw with "
                f"{seen.length} entries"
            )
        elif now.length < seen.length or (now.length == seen.length and now.head != seen.head):
            problems.append(
                f"{after.label} has chain {chain} at {now.length} entries, not continuing "
                f"the {seen.length} that {before.label} saw"
            )
    return problems


@dataclass
class CheckpointReport:
    directory: Path | None
    count: int = 0
    last: Checkpoint | None = None  # the newest one whose signature holds
    problems: list[str] = field(default_factory=list)

    @property
    def anchors(self) -> dict[str, Anchor]:
        return self.last.chains if self.last else {}


def checkpoints_verify(*, anchor: str = "") -> CheckpointReport:
    """Check every checkpoint: readable, signed with this platform's key, numbered
    without a gap, each naming the one before, none contradicting the one before, time-
    stamps (if any) over the checkpoint. `anchor`: the digest of a checkpoint the operator
    kept elsewhere, which must still be there."""
    directory = checkpoint_directory()
    files = checkpoint_files(directory)
    report = CheckpointReport(directory, count=len(files))
    if not files:
        if anchor:
            report.problems.append(
                f"no checkpoint has the digest {anchor.strip()} that was kept: there are none"
            )
        return report
    try:
        public = verifying_key()
    except CheckpointError as exc:
        report.problems.append(f"the checkpoints cannot be checked: {exc}")
        return report
    digests: dict[int, str] = {}
    expected = 1
    for number, path in files:
        if number > expected:
            missing = str(expected) if number == expected + 1 else f"{expected} to {number - 1}"
            report.problems.append(f"checkpoint {missing} is missing (deleted)")
        expected = number + 1
        try:
            checkpoint = checkpoint_read(path)
        except CheckpointError as exc:
            report.problems.append(str(exc))
            continue
        if problem := _signature_problem(checkpoint, public):
            report.problems.append(problem)
            continue
        before = digests.get(number - 1, GENESIS if number == 1 else None)
        if before is not None and checkpoint.previous != before:
            report.problems.append(
                f"{checkpoint.label} does not name the checkpoint before it: one of them "
                "was replaced"
            )
        digests[number] = checkpoint.digest
        if report.last is not None:
            report.problems.extend(_contradictions(report.last, checkpoint))
        if problem := _time_stamp_problem(checkpoint):
            report.problems.append(problem)
        report.last = checkpoint
    if anchor and anchor.strip().lower() not in digests.values():
        report.problems.append(
            f"no checkpoint has the digest {anchor.strip()} that was kept: the newest "
            "checkpoints were removed or replaced"
        )
    return report


# --- Writing.


def _reaches(entries: Any, now: Anchor, seen: Anchor | None) -> str | None:
    """Why a chain's head `now` is not to be anchored (None when it is): it must name an
    entry that is there, and the chain must still hold the entry `seen` last time."""
    wanted = {now.length} | ({seen.length} if seen else set())
    found = dict(
        entries.filter(sequence__in=wanted).order_by().values_list("sequence", "entry_hash")
    )
    if found.get(now.length) != now.head:
        return f"its head names entry {now.length}, which is not there as the head says"
    if seen and now.length < seen.length:
        return f"it has {now.length} entries, {seen.seen_by} saw {seen.length}"
    if seen and found.get(seen.length) != seen.head:
        return f"entry {seen.length} is not the one {seen.seen_by} saw"
    return None


def current_anchors(last: Checkpoint | None) -> tuple[dict[str, Anchor], list[str]]:
    """Every chain's head to anchor now, and the chains held at `last`'s heads (why)."""
    from eloket.common.models import ChainHead

    before = last.chains if last else {}
    anchors: dict[str, Anchor] = {}
    held: list[str] = []
    for family in chain_families:
        entries = family.entries()
        heads = ChainHead.objects.filter(chain__startswith=family.prefix, length__gt=0)
        for head in heads.order_by("chain"):
            now = Anchor(head.length, head.last_hash)
            seen = before.get(head.chain)
            reason = _reaches(entries.filter(chain=head.chain), now, seen)
            if reason is None:
                anchors[head.chain] = now
            elif seen is not None:
                anchors[head.chain] = seen
                held.append(f"chain {head.chain}: {reason}; the new checkpoint keeps that head")
            else:
                held.append(f"chain {head.chain}: {reason}; it is left out")
    for chain, seen in before.items():
        if chain not in anchors:
            anchors[chain] = seen
            held.append(
                f"chain {chain}: {seen.seen_by} saw {seen.length} entries, the database has "
                "no head for it; the new checkpoint keeps that head"
            )
    return anchors, held


@dataclass
class Written:
    checkpoint: Checkpoint
    held: list[str]  # chains that kept an earlier head, and why: each one is an incident


def checkpoint_write(*, now: dt.datetime | None = None) -> Written:
    """Write the next checkpoint (every chain's head, signed) and return it."""
    directory = checkpoint_directory()
    if directory is None:
        raise CheckpointError("ELOKET_CHECKPOINT_DIR is not set")
    key = _signing_key()
    files = checkpoint_files(directory)
    last = checkpoint_read(files[-1][1]) if files else None
    if last is not None and (problem := _signature_problem(last, key.public_key())):
        raise CheckpointError(
            f"{problem}; no checkpoint is written on top of it (see `eloket audit verify`)"
        )
    anchors, held = current_anchors(last)
    at = (now or timezone.now()).astimezone(dt.UTC).replace(microsecond=0)
    number = last.number + 1 if last else 1
    body = {
        "format": FORMAT,
        "number": number,
        "at": at.isoformat(),
        "previous": last.digest if last else GENESIS,
        "chains": {
            name: {"length": anchor.length, "head": anchor.head}
            for name, anchor in sorted(anchors.items())
        },
        "key": key_id(key.public_key()),
    }
    document: dict[str, Any] = {
        **body,
        "signature": base64.b64encode(key.sign(_canonical(body))).decode(),
    }
    token = _time_stamp(_canonical(document))
    if token:
        document["timestamp"] = token
    raw = _canonical(document) + b"\n"
    path = directory / f"checkpoint-{number:08d}.json"
    _create(path, raw)
    return Written(_parse(path, raw), held)


def _create(path: Path, raw: bytes) -> None:
    """Write a new file whole, or not at all; never over one that is there (another
    worker that wrote this number first wins: FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    try:
        with partial.open("xb") as file:
            file.write(raw)
            file.flush()
            os.fsync(file.fileno())
        os.link(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    path.chmod(0o444)


# --- RFC 3161 time-stamps (only with ELOKET_TSA_URL): a date a key holder cannot forge.


def _time_stamp(payload: bytes) -> str | None:
    url = settings.ELOKET_TSA_URL
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    try:
        token = asyncio.run(
            HTTPTimeStamper(url, timeout=10).async_timestamp(
                hashlib.sha256(payload).digest(), "sha256"
            )
        )
    except Exception:  # the checkpoint matters more than its time-stamp
        log.warning("checkpoint: no time-stamp from %s", url, exc_info=True)
        return None
    return base64.b64encode(token.dump()).decode()


def _time_stamp_problem(checkpoint: Checkpoint) -> str | None:
    token = checkpoint.document.get("timestamp")
    if not token:
        return None
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    payload = checkpoint.time_stamped_part()
    try:
        signed_data = cms.ContentInfo.load(base64.b64decode(token, validate=True))["content"]
        status = TimestampSignatureStatus(
            **asyncio.run(
                validate_tst_signed_data(
                    signed_data,
                    _tsa_context(),
                    lambda algorithm: hashlib.new(algorithm, payload).digest(),
                )
            )
        )
    except Exception as exc:  # any malformed token is a problem to report, not a crash
        return f"{checkpoint.label}: its time-stamp cannot be read ({exc})"
    if not (status.intact and status.valid):
        return f"{checkpoint.label}: its time-stamp is not over this checkpoint"
    if settings.ELOKET_TRUST_ROOTS and not status.trusted:
        return f"{checkpoint.label}: its time-stamp is not from an authority the platform trusts"
    return None


def _tsa_context() -> Any:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from pyhanko_certvalidator import ValidationContext

    roots = []
    if settings.ELOKET_TRUST_ROOTS and Path(settings.ELOKET_TRUST_ROOTS).exists():
        for certificate in x509.load_pem_x509_certificates(
            Path(settings.ELOKET_TRUST_ROOTS).read_bytes()
        ):
            der = certificate.public_bytes(serialization.Encoding.DER)
            roots.append(asn1_x509.Certificate.load(der))
    return ValidationContext(trust_roots=roots)


# --- The periodic job.


@periodic_jobs.register("audit_checkpoint")
class WriteCheckpoint(PeriodicJob):
    verbose_name = "anchor the hash chains' heads outside the database"

    def run(self, now: dt.datetime) -> int:
        if checkpoint_directory() is None:
            return 0
        files = checkpoint_files()
        last = checkpoint_read(files[-1][1]) if files else None
        interval = dt.timedelta(minutes=settings.ELOKET_CHECKPOINT_MINUTES)
        if last is not None and now - last.at < interval:
            return 0
        anchors, held = current_anchors(last)
        for reason in held:  # once per interval, until someone looks into it
            log.error("audit checkpoint: %s", reason)
        if anchors == (last.chains if last else {}):
            return 0  # nothing new to anchor
        try:
            checkpoint_write(now=now)
        except FileExistsError:
            return 0  # another worker wrote it
        return 1
