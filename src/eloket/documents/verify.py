"""Verification, for anyone: by code (typed or from the QR) or by uploading the PDF.

An uploaded PDF is authentic when its last signature is an intact PAdES seal, made by a
certificate that chains to a trusted root, covering the whole file, and the file is
byte for byte the one registered under the code it carries. Anything else — one altered
byte included — is "not authentic".
"""

import hashlib
import io
import logging
from dataclasses import dataclass, field
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
from eloket.documents.models import DocumentStatus, IssuedDocument
from eloket.documents.pki import trust_roots

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


class UploadRefused(ApplicationError):
    code = "invalid_upload"


@dataclass
class Verification:
    authentic: bool
    status: str  # valid, revoked, superseded, unknown, not_authentic
    document: IssuedDocument | None = None
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        doc = self.document
        return {
            "authentic": self.authentic,
            "status": self.status,
            "code": doc.display_code if doc else None,
            "municipality": doc.municipality.slug if doc else None,
            "municipality_name": doc.municipality.display_name() if doc else None,
            "document_type": doc.kind if doc else None,
            "issued_at": doc.issued_at if doc else None,
            "status_changed_at": doc.status_changed_at if doc else None,
            "status_reason": doc.status_reason if doc else "",
            "summary": doc.summary if doc else {},
            "reasons": self.reasons,
        }


def _document(code: str) -> IssuedDocument | None:
    return (
        IssuedDocument.objects.select_related("municipality")
        .defer("pdf")
        .filter(code=normalise_code(code))
        .first()
    )


def verify_code(code: str) -> Verification:
    document = _document(code)
    if document is None:
        return Verification(False, "unknown", reasons=[_("No document was issued with this code.")])
    return Verification(True, document.status, document)


def verify_pdf(data: bytes) -> Verification:
    if len(data) > settings.ELOKET_UPLOAD_MAX_BYTES:
        raise too_large(settings.ELOKET_UPLOAD_MAX_BYTES)
    if not data.startswith(b"%PDF-"):
        raise UploadRefused(_("This is not a PDF file."), code="not_a_pdf")
    not_authentic = "not_authentic"
    # Anything the parser raises on a hostile file (a RecursionError from arrays nested
    # 100,000 deep, an AssertionError, a decode limit, a broken cross-reference table) is
    # the same answer: the file is not one of ours. Never a server error.
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False, decode_limits=DECODE_LIMITS)
        signatures = reader.embedded_signatures
        seal = signatures[-1] if signatures else None
    except Exception as exc:
        logger.info("verification: the upload cannot be read as a PDF (%s)", type(exc).__name__)
        return Verification(False, not_authentic, reasons=[_("This file cannot be read as a PDF.")])
    if seal is None:
        return Verification(False, not_authentic, reasons=[_("The PDF carries no seal.")])
    try:
        status = validate_pdf_signature(seal, ValidationContext(trust_roots=trust_roots()))
        broken = not status.intact or not status.valid
        trusted = bool(status.trusted)
        whole = status.coverage is not None and status.coverage.name in (
            "ENTIRE_FILE",
            "ENTIRE_REVISION",
        )
    except Exception as exc:
        logger.info("verification: the seal cannot be checked (%s)", type(exc).__name__)
        return Verification(False, not_authentic, reasons=[_("The seal cannot be checked.")])
    reasons = []
    if broken:
        reasons.append(_("The file was changed after it was sealed."))
    if not trusted:
        reasons.append(_("The seal was not made by a trusted certificate."))
    if not whole:
        reasons.append(_("The seal does not cover the whole file."))
    document = _find_registered(data)
    if document is None:
        reasons.append(_("No document with this content was issued on this platform."))
    if reasons:
        return Verification(False, not_authentic, document, reasons)
    assert document is not None
    return Verification(True, document.status, document)


def _find_registered(data: bytes) -> IssuedDocument | None:
    """The registered document this file is, byte for byte."""
    digest = hashlib.sha256(data).hexdigest()
    return (
        IssuedDocument.objects.select_related("municipality")
        .defer("pdf")
        .filter(sha256=digest)
        .first()
    )


__all__ = ["DocumentStatus", "Verification", "verify_code", "verify_pdf"]
