"""Eloket's messaging key and certificate, and the registries' certificates it trusts.

Production: `ELOKET_MESSAGING_KEY` and `ELOKET_MESSAGING_CERT` (PEM) are Eloket's, issued
for the connection to the national register; `ELOKET_REGISTRY_CERTS` is a PEM file of the
registries' signing certificates: an incoming message must be signed with one of them.

Demo (`make run`) and tests: `demo_messaging_pki` issues, under the demo root of
`documents.pki`, one certificate for Eloket and one for the registry peer in
`var/pki/messaging/` (`eloket.*.pem`, `registry.*.pem`); each side trusts the other's.
"""

import datetime as dt
import os
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.documents.pki import demo_root
from eloket.messaging.wire import Signer, Verifier

ELOKET_PARTY = "eloket"  # the sender name Eloket uses in envelopes
REGISTRY_PARTY = "be-national-register"


class MessagingNotConfigured(ApplicationError):
    code = "messaging_not_configured"
    status = 503


def _directory() -> Path | None:
    return Path(settings.ELOKET_MESSAGING_DIR) if settings.ELOKET_MESSAGING_DIR else None


def _path(explicit: str, name: str) -> Path:
    if explicit:
        return Path(explicit)
    directory = _directory()
    if directory is None:
        raise MessagingNotConfigured(_("Messaging with the national register is not configured."))
    return directory / name


_cache: dict[tuple[str, ...], object] = {}
_lock = threading.Lock()


def _stamp(*paths: Path) -> tuple[str, ...]:
    for path in paths:
        if not path.exists():
            raise MessagingNotConfigured(
                _("Messaging with the national register is not configured.")
            )
    return tuple(f"{p}:{os.stat(p).st_mtime_ns}" for p in paths)


def own_signer() -> Signer:
    """Eloket's signer (key parsed once per process, again when the file changes)."""
    key = _path(settings.ELOKET_MESSAGING_KEY, "eloket.key.pem")
    cert = _path(settings.ELOKET_MESSAGING_CERT, "eloket.cert.pem")
    stamp = ("signer", *_stamp(key, cert))
    with _lock:
        if stamp not in _cache:
            _cache[stamp] = Signer.from_files(key, cert)
        signer = _cache[stamp]
    assert isinstance(signer, Signer)  # nosec B101
    return signer


def registry_verifier() -> Verifier:
    """The verifier of incoming messages: the registries' certificates."""
    certs = _path(settings.ELOKET_REGISTRY_CERTS, "registry.cert.pem")
    stamp = ("verifier", *_stamp(certs))
    with _lock:
        if stamp not in _cache:
            _cache[stamp] = Verifier.from_file(certs)
        verifier = _cache[stamp]
    assert isinstance(verifier, Verifier)  # nosec B101
    return verifier


# --- The demo PKI


def _issue(directory: Path, name: str, common_name: str, organisation: str) -> None:
    cert_path, key_path = directory / f"{name}.cert.pem", directory / f"{name}.key.pem"
    if cert_path.exists() and key_path.exists():
        return
    root_cert, root_key = demo_root(directory.parent)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(root_key, hashes.SHA256())
    )
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def demo_messaging_pki(directory: Path | None = None) -> Path:
    """Eloket's and the registry peer's demo keys and certificates (idempotent)."""
    directory = directory or _directory() or Path(settings.VAR_DIR) / "pki" / "messaging"
    directory.mkdir(parents=True, exist_ok=True)
    _issue(directory, "eloket", "Eloket messaging engine", "Eloket demo (not a real authority)")
    _issue(
        directory,
        "registry",
        "National register (demo peer)",
        "Eloket demo (not a real authority)",
    )
    return directory
