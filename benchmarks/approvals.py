"""Signed acts of an approval chain (issue 13): a decision PDF signed incrementally by
five officers, each with their own key, then sealed; the time of each signature and of
the validation of all of them, against a bare pyHanko incremental signature of the same
PDF in the same run.

Baseline ("bare"): pyHanko as its documentation shows it, `signers.sign_pdf` on an
`IncrementalPdfFileWriter`, with a `SimpleSigner` loaded once, one ECDSA P-256 key, on
the same growing PDF (so the n-th bare signature reads a file with n-1 signatures, as
Eloket's does).

Eloket ("step"): `approval_signers["officer_keys"].sign`, the call an approval makes:
the officer's certificate and key found (and cached per process) under the officer key
directory, the signature container's size reserved up front, the key parsed once. The
aim: each step within 1.3x of the bare signature.

    .venv/bin/python benchmarks/approvals.py [--rounds 5]
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from certificates import setup_django  # noqa: E402

OFFICERS = [
    ("bench.clerk", "Eva Claes", "Clerk", "events"),
    ("bench.head", "Hilde Peeters", "Head of department", "events"),
    ("bench.director", "Dirk Wouters", "Director", "events"),
    ("bench.alderman", "Ann Maes", "Alderman", ""),
    ("bench.mayor", "Mathias De Clercq", "Mayor", ""),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="chains signed (default 5)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    home = Path(tempfile.mkdtemp(prefix="eloket-bench-approvals-"))
    setup_django(home)
    from django.conf import settings
    from django.core.management import call_command

    print("==> Preparing a database with Gent and a demo PKI", flush=True)
    call_command("migrate", verbosity=0)
    from eloket.common.actors import Actor
    from eloket.tenants.services import municipality_create

    municipality_create(
        actor=Actor.system("benchmark"),
        slug="gent",
        names={"nl": "Stad Gent", "en": "City of Ghent"},
        country="BE",
        nis_code="44021",
        languages=["nl", "en"],
    )
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    from eloket.documents.pki import demo_officer_certificate, demo_pki_ensure
    from eloket.documents.render import render_pdf
    from eloket.documents.seal import approval_signers, seal_pdf
    from eloket.documents.signatures import signatures_checked
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    pki = demo_pki_ensure([gent], Path(settings.ELOKET_SEAL_DIR).parent)
    for username, name, role, department in OFFICERS:
        demo_officer_certificate(
            pki, gent, username=username, name=name, role=role, department=department
        )
    pdf = _decision_pdf(render_pdf)
    print(f"    a decision of {len(pdf) / 1024:.0f} KB, five approvers and the seal", flush=True)

    officer_dir = Path(settings.ELOKET_OFFICER_KEY_DIR) / "gent"
    bare_signer = signers.SimpleSigner.load(
        str(officer_dir / "bench.head.key.pem"),
        str(officer_dir / "bench.head.cert.pem"),
        ca_chain_files=(str(pki / "root.cert.pem"),),
    )

    def bare(document: bytes, number: int) -> bytes:
        out = io.BytesIO()
        signers.sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(document), strict=False),
            signers.PdfSignatureMetadata(
                field_name=f"Bare{number}", subfilter=SigSeedSubFilter.PADES, reason="Approved"
            ),
            signer=bare_signer,
            output=out,
        )
        return out.getvalue()

    plugin = approval_signers["officer_keys"]

    def step(document: bytes, number: int) -> bytes:
        username, name, role, department = OFFICERS[number]
        return plugin.sign(
            document,
            municipality=gent,
            username=username,
            name=name,
            role=role,
            department=department,
            field_name=f"Approval{number}",
            reason=f"Approved: step {number + 1}",
            location="Gent",
        )

    # Warm both paths (imports, caches of the key material).
    bare(pdf, 0)
    step(pdf, 0)
    bare_times: list[list[float]] = [[] for _ in OFFICERS]
    step_times: list[list[float]] = [[] for _ in OFFICERS]
    seal_times, validation_times = [], []
    for round_ in range(args.rounds):
        bare_pdf = signed = pdf
        for number in range(len(OFFICERS)):
            started = time.perf_counter()
            bare_pdf = bare(bare_pdf, number)
            bare_times[number].append(time.perf_counter() - started)
            started = time.perf_counter()
            signed = step(signed, number)
            step_times[number].append(time.perf_counter() - started)
        started = time.perf_counter()
        sealed, _timestamped = seal_pdf(
            signed, municipality=gent, reason="Decision", location="Gent"
        )
        seal_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        checked = signatures_checked(sealed)
        validation_times.append(time.perf_counter() - started)
        assert len(checked) == 6 and all(c.good for c in checked), checked
        print(f"    round {round_ + 1}/{args.rounds} done", flush=True)

    print("\n==> Each signature (median of the rounds)", flush=True)
    print(f"  {'step':<6} {'bare pyHanko':>14} {'Eloket':>10} {'ratio':>7}")
    worst = 0.0
    for number in range(len(OFFICERS)):
        b = statistics.median(bare_times[number]) * 1000
        s = statistics.median(step_times[number]) * 1000
        worst = max(worst, s / b)
        print(f"  {number + 1:<6} {b:11.1f} ms {s:7.1f} ms {s / b:6.2f}x", flush=True)
    print(f"  seal   {'':>14} {statistics.median(seal_times) * 1000:7.1f} ms")
    print(
        f"\n  validation of all six signatures: {statistics.median(validation_times) * 1000:.0f} ms"
    )
    print(f"  worst step against the bare signature: {worst:.2f}x (aim: at most 1.3x)")


def _decision_pdf(render_pdf) -> bytes:
    """A decision of the event permit, as a chain would sign it."""
    from django.utils import timezone

    return render_pdf("services/decision", _decision_data(), issued_at=timezone.now())


def _decision_data() -> dict:
    from django.utils import timezone

    from eloket.certificates.content import document_frame
    from eloket.documents.codes import verification_url
    from eloket.documents.render import qr_svg
    from eloket.tenants.models import Municipality

    gent = Municipality.objects.get(slug="gent")
    frame = document_frame(
        municipality=gent, language="en", purpose="", issued_on=timezone.localdate(), logo=""
    )
    return {
        **frame,
        "service": {"name": "Event permit", "processing_days": 30},
        "request": {
            "code": "ABCD-EFGH",
            "requester": "An De Smet",
            "on_behalf": "",
            "submitted_on": "1 December 2026",
            "fee": "€ 25,00",
        },
        "answers": [
            {
                "title": "The event",
                "rows": [
                    {"label": "Name of the event", "value": "Feest in het Patershol"},
                    {"label": "Expected number of visitors", "value": "8000"},
                ],
            }
        ],
        "decision": {
            "outcome": "approved",
            "text": "The event described below is permitted.",
            "reason": "Permitted; the Kraanlei stays clear for emergency services.",
            "decided_on": "1 December 2026",
            "signed_chain": True,
            "approvals": [name for _u, name, _r, _d in OFFICERS],
        },
        "code": "ABCDEFGHJKLM",
        "display_code": "ABCD-EFGH-JKLM",
        "qr": qr_svg(verification_url("ABCDEFGHJKLM")),
        "verify_base": "https://eloket.example/verify",
    }


if __name__ == "__main__":
    main()
