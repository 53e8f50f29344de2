"""Issuing, revoking and superseding documents."""

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.documents.models import CODE_ALPHABET, DocumentStatus, IssuedDocument
from eloket.documents.render import qr_svg, render_pdf
from eloket.documents.seal import seal_pdf
from eloket.register.models import Person
from eloket.tenants.models import Municipality

CODE_LENGTH = 12


def new_document_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(raw: str) -> str:
    return "".join(ch for ch in str(raw).upper() if ch.isalnum())


def verification_url(code: str) -> str:
    return f"{settings.ELOKET_BASE_URL}/verify/{code}"


def attested_digest(attested: Any) -> str:
    """A digest of the register data a document attests (compared again when it changes)."""
    canonical = json.dumps(attested, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def logo_for_pdf(municipality: Municipality) -> str:
    """The logo as SVG text for typst; a PNG or WebP logo is wrapped in an SVG."""
    if not municipality.has_logo:
        return ""
    full = Municipality.objects.only("logo", "logo_content_type").get(pk=municipality.pk)
    raw = bytes(full.logo)
    if full.logo_content_type == "image/svg+xml":
        return raw.decode("utf-8", errors="replace")
    encoded = base64.b64encode(raw).decode()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="200">'
        f'<image width="200" height="200" href="data:{full.logo_content_type};base64,{encoded}"/>'
        "</svg>"
    )


def document_issue(
    *,
    municipality: Municipality,
    kind: str,
    language: str,
    subject: Person | None,
    data: dict[str, Any],
    attested: Any,
    summary: dict[str, Any],
    case: Any = None,
    reason: str,
) -> IssuedDocument:
    """Render, seal and store a document under a new code."""
    issued_at = timezone.now().replace(microsecond=0)
    code = new_document_code()
    display = "-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4))
    data = {
        **data,
        "code": code,
        "display_code": display,
        "qr": qr_svg(verification_url(code)),
        "verify_base": f"{settings.ELOKET_BASE_URL}/verify",
    }
    pdf = render_pdf(kind, data, issued_at=issued_at)
    sealed, timestamped = seal_pdf(
        pdf,
        municipality=municipality,
        reason=reason,
        location=data.get("municipality", {}).get("place", municipality.display_name()),
    )
    # A code drawn twice (1 in 27^12) would fail the unique index and with it the
    # caller's transaction; the order is then taken up again by the sweep.
    return IssuedDocument.objects.create(
        municipality=municipality,
        code=code,
        case=case,
        kind=kind,
        language=language,
        subject=subject,
        summary=summary,
        issued_at=issued_at,
        pdf=sealed,
        sha256=hashlib.sha256(sealed).hexdigest(),
        attested_digest=attested_digest(attested),
        timestamped=timestamped,
    )


def document_revoke(*, document: IssuedDocument, officer: User, reason: str) -> IssuedDocument:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for revoking."), code="reason_required")
    with transaction.atomic():
        locked = IssuedDocument.objects.select_for_update().get(pk=document.pk)
        if locked.status == DocumentStatus.REVOKED:
            raise ApplicationError(_("This document is already revoked."), code="wrong_state")
        locked.status = DocumentStatus.REVOKED
        locked.status_changed_at = timezone.now()
        locked.status_reason = reason[:300]
        locked.revoked_by = officer
        locked.save(update_fields=["status", "status_changed_at", "status_reason", "revoked_by"])
    return locked


def documents_supersede(documents: Iterable[IssuedDocument], reason: str) -> int:
    """Mark valid documents superseded (their register data changed after issue)."""
    ids = [d.pk for d in documents]
    return IssuedDocument.objects.filter(pk__in=ids, status=DocumentStatus.VALID).update(
        status=DocumentStatus.SUPERSEDED,
        status_changed_at=timezone.now(),
        status_reason=reason[:300],
    )
