"""Verification, for anyone: by code (typed or from the QR) or by uploading the PDF.

An uploaded PDF is authentic when its last signature is an intact PAdES seal, made by a
certificate that chains to a trusted root, covering the whole file, and the file is
byte for byte the one registered under the code it carries. Anything else — one altered
byte included — is "not authentic".

Every answer is a `Verification` with one `Outcome` and the checks made on the way (each
passed, failed or not reached), so that the page can say in plain words what was checked,
what failed and what to do (`documents/verdicts.py`). Once the document is identified —
by its code, by its content, or for a changed copy by the seal's signer (a municipality's
own seal certificate) and the code the file carries — `municipality` is its issuer, whose
branding the page then wears.
"""

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.decode_limits import (
    DecodeLimits,
    DocumentDecodeBudget,
    StreamDecodeLimits,
)
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from eloket.common.errors import ApplicationError
from eloket.common.uploads import too_large
from eloket.documents.codes import normalise_code
from eloket.documents.models import CODE_ALPHABET, DocumentStatus, IssuedDocument
from eloket.documents.pki import seal_owner, trust_roots
from eloket.tenants.models import Municipality

# What decoding a stream of an uploaded file may produce: our documents need a few
# hundred kilobytes, pyHanko's defaults for untrusted files allow 256 MB a stream and 100
# times the file in all (500 MB for 5 MB of zip bombs).
DECODE_LIMITS = DecodeLimits(
    per_stream=StreamDecodeLimits(max_output_size=16 * 1024 * 1024),
    document_budget=DocumentDecodeBudget(base_allowance=32 * 1024 * 1024, max_ratio=10),
)
logger = logging.getLogger(__name__)
# pyHanko logs every failed validation with a traceback; a forged upload is an expected
# answer here, not an error of ours.
logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
# The code a document carries in its metadata (typst/base.typ: keywords "Eloket, <code>").
EMBEDDED_CODE = re.compile(f"\\b[{CODE_ALPHABET}]{{12}}\\b")


class UploadRefused(ApplicationError):
    code = "invalid_upload"


class Outcome(StrEnum):
    VALID = "valid"  # authentic and still valid
    SUPERSEDED = "superseded"  # authentic, but the register data it attests changed
    REVOKED = "revoked"  # authentic, but withdrawn by the municipality
    UNKNOWN_CODE = "unknown_code"
    NOT_A_PDF = "not_a_pdf"
    UNREADABLE = "unreadable"  # damaged, incomplete, or hostile: no PDF reader can use it
    NO_SEAL = "no_seal"
    UNKNOWN_SEALER = "unknown_sealer"  # sealed, but not by a municipality of this platform
    TAMPERED = "tampered"  # changed after the municipality sealed it
    UNREGISTERED = "unregistered"  # an intact seal, but no such document was registered
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"


class Check(StrEnum):
    """What verification looks at, in the order it does."""

    SIZE = "size"
    READABLE = "readable"
    SEALED = "sealed"
    SEALER = "sealer"
    INTACT = "intact"
    REGISTERED = "registered"
    CODE = "code"
    STATUS = "status"


UPLOAD_CHECKS = (
    Check.SIZE,
    Check.READABLE,
    Check.SEALED,
    Check.SEALER,
    Check.INTACT,
    Check.REGISTERED,
    Check.STATUS,
)
CODE_CHECKS = (Check.CODE, Check.STATUS)
STATUS_OUTCOME = {
    DocumentStatus.VALID: Outcome.VALID,
    DocumentStatus.SUPERSEDED: Outcome.SUPERSEDED,
    DocumentStatus.REVOKED: Outcome.REVOKED,
}
ERROR_OUTCOME = {
    "not_a_pdf": Outcome.NOT_A_PDF,
    "upload_too_large": Outcome.TOO_LARGE,
    "rate_limited": Outcome.RATE_LIMITED,
}


@dataclass
class Verification:
    authentic: bool
    status: str  # valid, revoked, superseded, unknown, not_authentic
    document: IssuedDocument | None = None
    reasons: list[str] = field(default_factory=list)
    outcome: Outcome = Outcome.VALID
    method: str = "code"  # code or upload
    # The issuer, once identified: the document's municipality, or for a changed copy the
    # municipality whose seal it carries.
    municipality: Municipality | None = None
    # Each check made, in order, with whether it passed; the checks after the first
    # failure were not reached.
    checks: list[tuple[Check, bool]] = field(default_factory=list)
    # A changed copy's own claim: the document registered under the code it carries (by
    # the same municipality that sealed it), to compare with.
    claimed: IssuedDocument | None = None
    message: str = ""  # a refusal's own message (the size limit, the wait)
    # A decision signed by an approval chain: each signature, checked (signatures.py).
    signatures: list[Any] = field(default_factory=list)

    @property
    def not_reached(self) -> list[Check]:
        done = {check for check, _passed in self.checks}
        order = CODE_CHECKS if self.method == "code" else UPLOAD_CHECKS
        return [check for check in order if check not in done]

    def as_dict(self) -> dict[str, Any]:
        from eloket.documents.verdicts import verdict_of

        doc = self.document
        verdict = verdict_of(self)
        return {
            "authentic": self.authentic,
            "status": self.status,
            "outcome": str(self.outcome),
            "code": doc.display_code if doc else None,
            "municipality": self.municipality.slug if self.municipality else None,
            "municipality_name": self.municipality.display_name() if self.municipality else None,
            "document_type": doc.kind if doc else None,
            "issued_at": doc.issued_at if doc else None,
            "status_changed_at": doc.status_changed_at if doc else None,
            "status_reason": doc.status_reason if doc else "",
            "summary": doc.summary if doc else {},
            "reasons": self.reasons,
            "explanation": verdict.explanation,
            "advice": verdict.advice,
            "signatures": [signature.as_dict() for signature in self.signatures],
        }


def verification_refused(exc: ApplicationError, *, method: str = "upload") -> Verification:
    """The answer to a refused check (not a PDF, too large, too many): a Verification too,
    so the page explains it like any other outcome."""
    outcome = ERROR_OUTCOME.get(exc.code, Outcome.UNREADABLE)
    checks: list[tuple[Check, bool]] = []
    if outcome == Outcome.TOO_LARGE:
        checks = [(Check.SIZE, False)]
    elif outcome == Outcome.NOT_A_PDF:
        checks = [(Check.SIZE, True), (Check.READABLE, False)]
    return Verification(
        False,
        "not_authentic",
        outcome=outcome,
        method=method,
        checks=checks,
        message=str(exc.message),
        reasons=[str(exc.message)],
    )


def _document(code: str) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.select_related("municipality")
        .defer("pdf", "municipality__logo", "municipality__custom_css")
        .filter(code=normalise_code(code))
        .first()
    )


def _by_status(
    document: IssuedDocument,
    method: str,
    checks: list[tuple[Check, bool]],
    pdf: bytes | None = None,
) -> Verification:
    outcome = STATUS_OUTCOME.get(DocumentStatus(document.status), Outcome.REVOKED)
    return Verification(
        True,
        document.status,
        document,
        outcome=outcome,
        method=method,
        municipality=document.municipality,
        checks=[*checks, (Check.STATUS, outcome == Outcome.VALID)],
        signatures=_signatures_of(document, pdf),
    )


def _signatures_of(document: IssuedDocument, pdf: bytes | None) -> list[Any]:
    """For a decision its approvers signed, each signature checked (the uploaded file,
    or the registered one for a code); nothing for a document sealed once."""
    if not document.summary.get("approvals"):
        return []
    from eloket.documents.signatures import signatures_checked

    if pdf is None:
        pdf = bytes(IssuedDocument.objects.only("pdf").get(pk=document.pk).pdf)
    return signatures_checked(pdf)


def verify_code(code: str) -> Verification:
    document = _document(code)
    if document is None:
        return Verification(
            False,
            "unknown",
            reasons=[_("No document was issued with this code.")],
            outcome=Outcome.UNKNOWN_CODE,
            checks=[(Check.CODE, False)],
        )
    return _by_status(document, "code", [(Check.CODE, True)])


def _failed(
    outcome: Outcome,
    checks: list[tuple[Check, bool]],
    municipality: Municipality | None = None,
    claimed: IssuedDocument | None = None,
) -> Verification:
    from eloket.documents.verdicts import verdict_of

    result = Verification(
        False,
        "not_authentic",
        outcome=outcome,
        method="upload",
        checks=checks,
        municipality=municipality,
        claimed=claimed,
    )
    result.reasons = [verdict_of(result).explanation]
    return result


def verify_pdf(data: bytes) -> Verification:
    if len(data) > settings.ELOKET_UPLOAD_MAX_BYTES:
        raise too_large(settings.ELOKET_UPLOAD_MAX_BYTES)
    if not data.startswith(b"%PDF-"):
        raise UploadRefused(_("This is not a PDF file."), code="not_a_pdf")
    checks: list[tuple[Check, bool]] = [(Check.SIZE, True)]
    # Anything the parser raises on a hostile file (a RecursionError from arrays nested
    # 100,000 deep, an AssertionError, a decode limit, a broken cross-reference table) is
    # the same answer: the file is not one of ours. Never a server error, and never the
    # exception's name on the page: it is logged for us.
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=DECODE_LIMITS)
        signatures = reader.embedded_signatures
        seal = signatures[-1] if signatures else None
    except Exception as exc:
        logger.info("verification: the upload cannot be read as a PDF (%s)", type(exc).__name__)
        return _failed(Outcome.UNREADABLE, [*checks, (Check.READABLE, False)])
    checks.append((Check.READABLE, True))
    if seal is None:
        return _failed(Outcome.NO_SEAL, [*checks, (Check.SEALED, False)])
    checks.append((Check.SEALED, True))
    try:
        status = validate_pdf_signature(seal, ValidationContext(trust_roots=trust_roots()))
        intact, valid, trusted = bool(status.intact), bool(status.valid), bool(status.trusted)
        coverage = status.coverage.name if status.coverage is not None else ""
        signer = seal.signer_cert
    except Exception as exc:
        logger.info("verification: the seal cannot be checked (%s)", type(exc).__name__)
        return _failed(Outcome.UNKNOWN_SEALER, [*checks, (Check.SEALER, False)])
    document = _find_registered(data)
    claimed = None if document else _claimed(reader, signer if valid else None)
    if intact:
        # pyHanko checks the certificate's chain to our roots only for an intact seal.
        owner = _owner(document, claimed, signer) if trusted and valid else None
        if owner is None:
            return _failed(Outcome.UNKNOWN_SEALER, [*checks, (Check.SEALER, False)])
    else:
        # A changed copy: the seal still names who made it when its signature is sound and
        # its certificate is the one a municipality seals with.
        owner = _owner(document, claimed, signer) if valid else None
        if owner is None:
            return _failed(Outcome.UNKNOWN_SEALER, [*checks, (Check.SEALER, False)])
    checks.append((Check.SEALER, True))
    # A seal covers its own revision; anything appended after it (a later revision, bytes
    # after the end) is a change too.
    if not intact or coverage != "ENTIRE_FILE":
        return _failed(Outcome.TAMPERED, [*checks, (Check.INTACT, False)], owner, claimed)
    checks.append((Check.INTACT, True))
    if document is None:
        return _failed(Outcome.UNREGISTERED, [*checks, (Check.REGISTERED, False)], owner, claimed)
    checks.append((Check.REGISTERED, True))
    return _by_status(document, "upload", checks, data)


def _find_registered(data: bytes) -> IssuedDocument | None:
    """The registered document this file is, byte for byte."""
    digest = hashlib.sha256(data).hexdigest()
    return (
        IssuedDocument.objects.select_related("municipality")
        .defer("pdf", "municipality__logo", "municipality__custom_css")
        .filter(sha256=digest)
        .first()
    )


def _claimed(reader: PdfFileReader, signer: Any) -> IssuedDocument | None:
    """The registered document whose code the file carries in its metadata, if it was
    sealed with the very certificate that sealed this file (the claim alone proves
    nothing: anyone can write a code into a file)."""
    if signer is None:
        return None
    try:
        info = reader.trailer_view.get("/Info")
        keywords = str(info.get_object().get("/Keywords", "")) if info is not None else ""
    except Exception:  # a hostile /Info is no claim
        return None
    match = EMBEDDED_CODE.search(keywords)
    document = _document(match.group(0)) if match else None
    if document is None:
        return None
    try:
        registered = IssuedDocument.objects.only("pdf").get(pk=document.pk)
        original = PdfFileReader(io.BytesIO(bytes(registered.pdf)), strict=False)
        if original.embedded_signatures[-1].signer_cert.dump() != signer.dump():
            return None
    except Exception:
        logger.warning("verification: the registered document %s cannot be read", document.code)
        return None
    return document


def _owner(
    document: IssuedDocument | None, claimed: IssuedDocument | None, signer: Any
) -> Municipality | None:
    """Who sealed the file: the registered document's municipality, else the municipality
    whose seal certificate signed it (also one since replaced, through the claimed code)."""
    if document is not None:
        return document.municipality
    if claimed is not None:
        return claimed.municipality
    return seal_owner(signer)


__all__ = [
    "DocumentStatus",
    "Outcome",
    "Verification",
    "verification_refused",
    "verify_code",
    "verify_pdf",
]
