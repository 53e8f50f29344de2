"""Every signature in a document, checked one by one (issue 13): a decision taken by an
approval chain carries one PAdES signature per approving officer and the municipality's
seal last. For each, who signed (name, role, department and organisation from the
certificate), when, and whether the file is unchanged since, apart from the signatures
added after it.

pyHanko's difference analysis says what each later revision changed: a revision that
only adds a signature (a new signature field, signed) is "form filling" at most; any
other change to the content — a word, an image, an annotation — is more, and makes that
signature "changed after it was signed"."""

import datetime as dt
import hashlib
import io
import logging
import threading
from dataclasses import dataclass

from cachetools import TTLCache
from django.conf import settings
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eloket.documents.pki import trust_roots

logger = logging.getLogger(__name__)
SEAL_FIELD = "EloketSeal"
# What a later revision may do without changing what an earlier signature signed.
SIGNATURES_ONLY = {
    ModificationLevel.NONE,
    ModificationLevel.LTA_UPDATES,
    ModificationLevel.FORM_FILLING,
}


@dataclass(frozen=True)
class SignatureCheck:
    name: str
    organisation: str
    role: str
    department: str
    signed_at: dt.datetime | None
    reason: str
    is_seal: bool
    # The signature is sound and its certificate chains to a root the platform trusts.
    valid: bool
    # Nothing in the file changed after it but later signatures.
    unchanged_since: bool

    @property
    def good(self) -> bool:
        return self.valid and self.unchanged_since

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "organisation": self.organisation,
            "role": self.role,
            "department": self.department,
            "signed_at": self.signed_at,
            "reason": self.reason,
            "seal": self.is_seal,
            "valid": self.valid,
            "unchanged_since": self.unchanged_since,
        }


# Checking six signatures takes ~160 ms (benchmarks/approvals.py); a decision's page is
# read again and again, and its file never changes: its checks are kept for an hour
# (a certificate that expires meanwhile is seen within the hour).
_checked_files: TTLCache[tuple[str, str], list["SignatureCheck"]] = TTLCache(maxsize=256, ttl=3600)
_lock = threading.Lock()


def signatures_checked(pdf: bytes) -> list["SignatureCheck"]:
    """Each signature of the file in signing order, checked. Empty when the file cannot
    be read (verification says why on its own)."""
    key = (hashlib.sha256(pdf).hexdigest(), str(settings.ELOKET_TRUST_ROOTS))
    with _lock:
        found = _checked_files.get(key)
    if found is None:
        found = _signatures_checked(pdf)
        with _lock:
            _checked_files[key] = found
    return list(found)


def _signatures_checked(pdf: bytes) -> list["SignatureCheck"]:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
        context = ValidationContext(trust_roots=trust_roots())
    except Exception as exc:
        logger.info("signatures: the file cannot be read (%s)", type(exc).__name__)
        return []
    checks = []
    for signature in embedded:
        checks.append(_checked(signature, context))
    return checks


def _checked(signature: object, context: ValidationContext) -> SignatureCheck:
    subject: dict[str, str] = {}
    reason = ""
    try:
        status = validate_pdf_signature(signature, context)  # type: ignore[arg-type]
        subject = dict(status.signing_cert.subject.native)
        reason = str(signature.sig_object.get("/Reason", ""))  # type: ignore[attr-defined]
        coverage = status.coverage.name if status.coverage is not None else ""
        valid = bool(status.intact and status.valid and status.trusted)
        unchanged = bool(status.intact) and (
            coverage == "ENTIRE_FILE"
            or (
                coverage == "ENTIRE_REVISION"
                and status.modification_level in SIGNATURES_ONLY
                and bool(status.docmdp_ok)
            )
        )
        signed_at = status.signer_reported_dt
    except Exception as exc:
        logger.info("signatures: a signature cannot be checked (%s)", type(exc).__name__)
        valid = unchanged = False
        signed_at = None
    return SignatureCheck(
        name=str(subject.get("common_name", "")),
        organisation=str(subject.get("organization_name", "")),
        role=str(subject.get("title", "")),
        department=str(subject.get("organizational_unit_name", "")),
        signed_at=signed_at,
        reason=reason,
        is_seal=getattr(signature, "field_name", "") == SEAL_FIELD,
        valid=valid,
        unchanged_since=unchanged,
    )
