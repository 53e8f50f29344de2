"""Documents rendered with typst: one template per certificate type
(`typst/certificates/<type>.typ`) and per document a service produces
(`typst/services/<template>.typ`: receipt, decision, information sheet), on a common frame
(`typst/base.typ`), with the wording of each language in `typst/lang/<language>.json`.
PDF/A-2b, no network (no `@preview` packages). Fonts: those embedded in typst (Libertinus
Serif, DejaVu Sans Mono), which have no Hangul, and a subset of Noto Sans CJK KR
(`typst/fonts/`, SIL OFL 1.1: Latin, Hangul syllables and jamo, about 1.4 MB a weight,
made by scripts/korean_font_subset.py) that typst falls back to for Korean text.

Compilers are kept warm, one per template, and used under a lock (a compiler is not
meant for two threads at once).
"""

import base64
import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

import segno
import typst

from eloket.tenants.models import Municipality

TEMPLATES = Path(__file__).resolve().parent / "typst"
LANGUAGES = ("nl", "fr", "de", "en")
FONTS = TEMPLATES / "fonts"
# A template is a certificate type's code, or "<folder>/<name>" in one of these folders.
TEMPLATE_NAME = re.compile(r"^(?:services/)?[a-z][a-z0-9_]{0,39}$")

_compilers: dict[str, tuple[typst.Compiler, threading.Lock]] = {}
_registry_lock = threading.Lock()


def template_path(template: str) -> Path:
    """The typst file of a template: `residence` is a certificate's, `services/receipt`
    one of the documents services produce."""
    if not TEMPLATE_NAME.match(template):
        raise ValueError(f"no template for {template!r}")
    if "/" in template:
        return TEMPLATES / f"{template}.typ"
    return TEMPLATES / "certificates" / f"{template}.typ"


def _compiler(template: str) -> tuple[typst.Compiler, threading.Lock]:
    with _registry_lock:
        if template not in _compilers:
            path = template_path(template)
            if not path.exists():
                raise ValueError(f"no template for {template!r}")
            _compilers[template] = (
                typst.Compiler(str(path), root=str(TEMPLATES), font_paths=[str(FONTS)]),
                threading.Lock(),
            )
        return _compilers[template]


def qr_svg(url: str) -> str:
    """The QR code as a small SVG: one path, one horizontal run of dark modules per
    segment. A fixed mask pattern: choosing the "best" of the eight costs 2 ms a document
    and readers decode any of them (the tests decode the printed code with zxing)."""
    qr = segno.make(url, error="m", mask=2, micro=False, boost_error=False)
    size = len(qr.matrix)
    runs = []
    for y, row in enumerate(qr.matrix):
        x = 0
        while x < size:
            if row[x]:
                start = x
                while x < size and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
            else:
                x += 1
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges"><path fill="#000" d="{"".join(runs)}"/></svg>'
    )


def render_pdf(template: str, data: dict[str, Any], *, issued_at: dt.datetime) -> bytes:
    """A PDF/A-2b document from `template` (see `template_path`) and `data` (see
    certificates/content.py, services/documents.py)."""
    compiler, lock = _compiler(template)
    with lock:
        pdf = compiler.compile(
            sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
            pdf_standards="a-2b",
            timestamp=int(issued_at.timestamp()),
        )
    assert isinstance(pdf, bytes)
    return pdf


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
