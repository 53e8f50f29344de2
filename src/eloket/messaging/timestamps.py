"""RFC 3161 time-stamps of the message log's head, in batches (issue 14, point 7).

Every entry's `entry_hash` covers the entry before it, so one time-stamp of the head dates
every entry up to it: the periodic tick (every five minutes) asks the TSA
(`ELOKET_MESSAGING_TSA_URL`) for one token when the log grew since the last one, whatever
the number of messages in between. The token's message imprint is the head's
`entry_hash` itself (SHA-256), so an auditor checks it with
`openssl ts -verify -digest <entry_hash> -token_in -in token.tsr ...`.

`token_problem` checks a stored token the way `eloket messages verify` needs: it is a
signed time-stamp over that head, by a certificate that chains to `ELOKET_TRUST_ROOTS`
(when set) and is allowed to time-stamp.
"""

import asyncio
import datetime as dt
import logging
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.messaging.inbox import CHAIN
from eloket.messaging.models import MessageLogEntry, MessageLogTimestamp

log = logging.getLogger(__name__)


class TimeStampFailed(Exception):
    """The TSA did not give a usable token (down, refused, or a token over something else)."""


def _request_token(url: str, imprint: bytes) -> Any:
    from pyhanko.sign.timestamps import HTTPTimeStamper

    try:
        return asyncio.run(HTTPTimeStamper(url, timeout=10).async_timestamp(imprint, "sha256"))
    except Exception as exc:  # any failure of the TSA or the connection
        raise TimeStampFailed(f"no time-stamp from {url}: {exc}") from exc


def head_timestamp(*, url: str = "") -> MessageLogTimestamp | None:
    """Time-stamp the message log's head now, unless it has not grown since the last
    time-stamp (or is empty, or no TSA is configured): at most one TSA request."""
    from eloket.common.models import ChainHead

    url = url or settings.ELOKET_MESSAGING_TSA_URL
    if not url:
        return None
    head = ChainHead.objects.filter(chain=CHAIN).first()
    if head is None or head.length == 0:
        return None
    last = MessageLogTimestamp.objects.filter(chain=CHAIN).order_by("-length").first()
    if last is not None and last.length >= head.length:
        return None
    token = _request_token(url, bytes.fromhex(head.last_hash))
    tst_info = token["content"]["encap_content_info"]["content"].parsed
    if tst_info["message_imprint"]["hashed_message"].native != bytes.fromhex(head.last_hash):
        raise TimeStampFailed(f"{url} time-stamped something else")
    try:
        with transaction.atomic():
            return MessageLogTimestamp.objects.create(
                chain=CHAIN,
                length=head.length,
                head_hash=head.last_hash,
                token=token.dump(),
                stamped_at=tst_info["gen_time"].native,
                tsa_url=url[:300],
            )
    except IntegrityError:  # another worker stamped the same head meanwhile
        return None


def token_info(token: bytes) -> Any:
    """The TSTInfo of a stored token (gen_time, message_imprint, serial_number, ...)."""
    from asn1crypto import cms

    return cms.ContentInfo.load(token)["content"]["encap_content_info"]["content"].parsed


def token_certificates(token: bytes) -> list[Any]:
    """The certificates a token carries (the TSA's, perhaps its chain), asn1crypto."""
    from asn1crypto import cms

    signed = cms.ContentInfo.load(token)["content"]
    return [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]


def _trust_context() -> Any:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko_certvalidator import ValidationContext

    roots = []
    path = Path(settings.ELOKET_TRUST_ROOTS) if settings.ELOKET_TRUST_ROOTS else None
    if path is not None and path.exists():
        for _kind, _headers, der in pem.unarmor(path.read_bytes(), multiple=True):
            roots.append(asn1_x509.Certificate.load(der))
    return ValidationContext(trust_roots=roots)


def token_problem(stamp: MessageLogTimestamp, context: Any = None) -> str | None:
    """What is wrong with a stored time-stamp (None: it is a valid time-stamp of its
    head, by an authority the platform trusts)."""
    from asn1crypto import cms
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko.sign.validation.status import TimestampSignatureStatus

    imprint = bytes.fromhex(stamp.head_hash)

    def expected(algorithm: str) -> bytes:
        return imprint if algorithm == "sha256" else b""

    try:
        signed = cms.ContentInfo.load(bytes(stamp.token))["content"]
        status = TimestampSignatureStatus(
            **asyncio.run(validate_tst_signed_data(signed, context or _trust_context(), expected))
        )
    except Exception as exc:  # a malformed token is a finding, not a crash
        return f"its token cannot be read ({type(exc).__name__}: {exc})"
    if not status.intact:
        return "its token is not over this head (the message imprint differs)"
    if not status.valid:
        return "its token's signature does not verify"
    if settings.ELOKET_TRUST_ROOTS and not status.trusted:
        return "its token is not from a time-stamping authority the platform trusts"
    return None


@periodic_jobs.register("message_log_timestamp")
class MessageLogTimestampJob(PeriodicJob):
    verbose_name = "time-stamp the message log's head (RFC 3161), when it grew"

    def run(self, now: dt.datetime) -> int:
        try:
            return 1 if head_timestamp() is not None else 0
        except TimeStampFailed:  # the next tick asks again; the log is not held up
            log.warning("message log: no time-stamp this time", exc_info=True)
            return 0


def entry_at(sequence: int) -> MessageLogEntry | None:
    return MessageLogEntry.objects.filter(chain=CHAIN, sequence=sequence).first()
