"""Certificates rendered with typst: one template per certificate type
(`typst/certificates/<type>.typ`) on a common frame (`typst/base.typ`), with the wording of
each language in `typst/lang/<language>.json`. PDF/A-2b, fonts bundled with typst, no
network (no `@preview` packages).

Compilers are kept warm, one per template, and used under a lock (a compiler is not
meant for two threads at once).
"""

import base64
import datetime as dt
import json
import threading
from pathlib import Path
from typing import Any

import segno
import typst

from eloket.tenants.models import Municipality

TEMPLATES = Path(__file__).resolve().parent / "typst"
LANGUAGES = ("nl", "fr", "de", "en")

_compilers: dict[str, tuple[typst.Compiler, threading.Lock]] = {}
_registry_lock = threading.Lock()


def _compiler(kind: str) -> tuple[typst.Compiler, threading.Lock]:
    with _registry_lock:
        if kind not in _compilers:
            path = TEMPLATES / "certificates" / f"{kind}.typ"
            if not path.exists():
                raise ValueError(f"no template for {kind!r}")
            _compilers[kind] = (typst.Compiler(str(path), root=str(TEMPLATES)), threading.Lock())
        return _compilers[kind]


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


def render_pdf(kind: str, data: dict[str, Any], *, issued_at: dt.datetime) -> bytes:
    """A PDF/A-2b document of `kind` from `data` (see certificates/content.py)."""
    compiler, lock = _compiler(kind)
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
