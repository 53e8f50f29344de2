"""A document rendered and not yet sealed, under the code printed in it: what
`documents.services` seals at once, or what an approval chain signs first (issue 13)."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from eloket.documents.codes import CODE_LENGTH, new_document_code, verification_url
from eloket.documents.render import qr_svg, render_pdf
from eloket.tenants.models import Municipality


@dataclass(frozen=True)
class PreparedDocument:
    """A rendered, not yet sealed document and the code printed in it."""

    code: str
    pdf: bytes


def document_prepare(
    *, municipality: Municipality, kind: str, data: dict[str, Any], template: str = ""
) -> PreparedDocument:
    """Render `template` (by default the certificate template named `kind`) under a new
    code, with its QR code and verification address. Nothing is stored."""
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
    return PreparedDocument(code=code, pdf=render_pdf(template or kind, data, issued_at=issued_at))
