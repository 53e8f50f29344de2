"""Messaging benchmark (issue 14): registry messages signed and verified per second on one
core, Eloket's path (`wire.Signer.sign`: schema validation + signature;
`wire.receive`: size and DTD checks, hardened parse, signature against the trusted
certificates, schema) next to bare signxml sign and verify of the same documents.

    .venv/bin/python benchmarks/messaging.py [N]
"""

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eloket.conf.test")

import django

django.setup()

from lxml import etree  # noqa: E402
from signxml import XMLSigner, XMLVerifier  # noqa: E402

from eloket.messaging import keys, wire  # noqa: E402


def rate(n: int, work) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        work()
    return n / (time.perf_counter() - started)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    directory = Path(tempfile.mkdtemp()) / "pki" / "messaging"
    keys.demo_messaging_pki(directory)
    signer = wire.Signer.from_files(directory / "eloket.key.pem", directory / "eloket.cert.pem")
    verifier = wire.Verifier.from_file(directory / "eloket.cert.pem")
    root = wire.build(
        "RegisterMutation",
        sender="eloket",
        receiver="be-national-register",
        body=[
            ("Kind", "death"),
            ("NationalNumber", "85010112345"),
            ("Sequence", 1),
            ("EffectiveDate", "2026-11-01"),
            ("Municipality", "44021"),
        ],
    )
    data = signer.sign(root)
    bare_signer = XMLSigner(signature_algorithm=wire.SIGNATURE_METHOD, c14n_algorithm=wire.C14N)
    cert = (directory / "eloket.cert.pem").read_text()
    bare_sign = rate(n, lambda: etree.tostring(bare_signer.sign(root, key=signer.key, cert=[cert])))
    ours_sign = rate(n, lambda: signer.sign(root))
    bare_verify = rate(n, lambda: XMLVerifier().verify(data, x509_cert=signer.certificate))
    ours_verify = rate(n, lambda: wire.receive(data, verifier=verifier, max_bytes=10**7))
    print(f"messages: {n}, ECDSA P-256 / SHA-256, exclusive c14n, {len(data)} bytes each")
    print(f"sign    bare signxml {bare_sign:8.0f}/s   Eloket {ours_sign:8.0f}/s")
    print(f"verify  bare signxml {bare_verify:8.0f}/s   Eloket {ours_verify:8.0f}/s")


if __name__ == "__main__":
    main()
