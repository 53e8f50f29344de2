"""Seal keys and trust: where each municipality's seal certificate and key come from, and
which roots verification trusts.

Production: `ELOKET_SEAL_DIR` holds, per municipality, `<slug>.p12` (PKCS#12) or
`<slug>.key.pem` + `<slug>.cert.pem` (and optionally `<slug>.chain.pem`); a passphrase in
`ELOKET_SEAL_PASSPHRASE` opens encrypted keys. `ELOKET_TRUST_ROOTS` is a PEM file of the
roots verification accepts. Keys are never in the repository (a deploy check refuses a
seal directory inside it).

Officers who approve decisions (issue 13) sign with their own key and a certificate
naming them, issued by the municipality's CA: `ELOKET_OFFICER_KEY_DIR/<slug>/<username>.p12`
(or `.key.pem` + `.cert.pem`, optionally `.chain.pem`). No two officers share a key.

Demo (`make run`): `demo_pki_ensure` makes a platform root and one seal certificate per
municipality under `var/pki/`; an officer's signing certificate is issued by the same
root the first time the officer signs (`var/pki/officers/<slug>/`).
"""

import datetime as dt
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError
from eloket.tenants.models import Municipality


class SealNotConfigured(ApplicationError):
    code = "seal_not_configured"
    status = 503


@dataclass(frozen=True)
class SealMaterial:
    certificate: asn1_x509.Certificate
    private_key: object  # a cryptography private key object, parsed once
    private_key_info: asn1_keys.PrivateKeyInfo
    chain: tuple[asn1_x509.Certificate, ...]


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _key_info(key: object) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return asn1_keys.PrivateKeyInfo.load(der)


def _passphrase() -> bytes | None:
    value = settings.ELOKET_SEAL_PASSPHRASE
    return value.encode() if value else None


def _load_pem_certs(path: Path) -> list[asn1_x509.Certificate]:
    data = path.read_bytes()
    return [asn1_x509.Certificate.load(der) for _t, _h, der in pem.unarmor(data, multiple=True)]


_cache: dict[tuple[str, float], SealMaterial] = {}
_lock = threading.Lock()


def seal_material(municipality: Municipality) -> SealMaterial:
    """The municipality's seal certificate, parsed key and chain (cached per process)."""
    directory = Path(settings.ELOKET_SEAL_DIR) if settings.ELOKET_SEAL_DIR else None
    if directory is None:
        raise SealNotConfigured(_("No seal certificates are configured on this platform."))
    p12 = directory / f"{municipality.slug}.p12"
    key_pem = directory / f"{municipality.slug}.key.pem"
    cert_pem = directory / f"{municipality.slug}.cert.pem"
    source = p12 if p12.exists() else key_pem
    if not source.exists() and _demo_pki_allowed(directory):
        # Development and demo: a municipality created later gets its demo seal at once.
        demo_pki_ensure([municipality], directory.parent)
    if not source.exists() or (source == key_pem and not cert_pem.exists()):
        raise SealNotConfigured(
            _("%(name)s has no seal certificate yet: it cannot issue documents.")
            % {"name": municipality.display_name()}
        )
    return _material(directory, municipality.slug)


def _material(directory: Path, stem: str) -> SealMaterial:
    """The key and certificate `<stem>.p12`, or `<stem>.key.pem` + `<stem>.cert.pem`
    (+ `<stem>.chain.pem`), in `directory`; cached per file and change time."""
    p12, key_pem = directory / f"{stem}.p12", directory / f"{stem}.key.pem"
    cert_pem = directory / f"{stem}.cert.pem"
    source = p12 if p12.exists() else key_pem
    stamp = (str(source), os.stat(source).st_mtime)
    with _lock:
        if stamp in _cache:
            return _cache[stamp]
        chain: list[asn1_x509.Certificate] = []
        if source == p12:
            key, cert, extra = pkcs12.load_key_and_certificates(p12.read_bytes(), _passphrase())
            if key is None or cert is None:
                raise SealNotConfigured(_("The seal file holds no key or certificate."))
            certificate = _to_asn1(cert)
            chain = [_to_asn1(c) for c in extra or []]
        else:
            key = serialization.load_pem_private_key(key_pem.read_bytes(), _passphrase())
            certificate = _load_pem_certs(cert_pem)[0]
            chain_file = directory / f"{stem}.chain.pem"
            if chain_file.exists():
                chain = _load_pem_certs(chain_file)
        roots = trust_roots()
        material = SealMaterial(
            certificate=certificate,
            private_key=key,
            private_key_info=_key_info(key),
            chain=tuple(chain or roots),
        )
        _cache[stamp] = material
        return material


def officer_material(
    municipality: Municipality, *, username: str, name: str, role: str, department: str
) -> SealMaterial:
    """The officer's own signing certificate and parsed key (cached per process). In
    development and the demo, the demo root issues one the first time it is needed."""
    base = settings.ELOKET_OFFICER_KEY_DIR
    if not base:
        raise SealNotConfigured(_("No officer signing certificates are configured."))
    directory = Path(base) / municipality.slug
    stem = _officer_stem(username)
    source = directory / f"{stem}.p12"
    if not source.exists():
        source = directory / f"{stem}.key.pem"
    if not source.exists() and not settings.PRODUCTION and Path(base).name == "officers":
        demo_officer_certificate(
            Path(base).parent,
            municipality,
            username=username,
            name=name,
            role=role,
            department=department,
        )
    if not source.exists() or (
        source.suffix == ".pem" and not (directory / f"{stem}.cert.pem").exists()
    ):
        raise SealNotConfigured(
            _("%(name)s has no signing certificate yet: ask the administrator for one.")
            % {"name": name}
        )
    return _material(directory, stem)


@dataclass(frozen=True)
class SealFile:
    """What a seal file holds, as the operator is told when it is installed."""

    subject: str
    not_after: dt.datetime


def seal_file_check(data: bytes) -> SealFile:
    """Open a PKCS#12 seal file and check it is one a municipality can seal with: a key
    and its certificate, valid now, the certificate allowing signatures. SealNotConfigured
    naming what is wrong otherwise."""
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, _passphrase())
    except (ValueError, TypeError) as exc:
        raise SealNotConfigured(
            _("The seal file cannot be opened (not PKCS#12, or the passphrase is wrong).")
        ) from exc
    if key is None or cert is None:
        raise SealNotConfigured(_("The seal file holds no key or certificate."))

    def public(k: object) -> bytes:
        return k.public_bytes(  # type: ignore[attr-defined]
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    if public(cert.public_key()) != public(key.public_key()):
        raise SealNotConfigured(_("The seal file's key does not belong to its certificate."))
    now = dt.datetime.now(dt.UTC)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise SealNotConfigured(_("The seal certificate is not valid today."))
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not (usage.digital_signature or usage.content_commitment):
        raise SealNotConfigured(_("The seal certificate does not allow signing."))
    return SealFile(subject=cert.subject.rfc4514_string(), not_after=cert.not_valid_after_utc)


def seal_present(municipality: Municipality) -> bool:
    """Whether ELOKET_SEAL_DIR holds a seal key for the municipality (never makes one)."""
    if not settings.ELOKET_SEAL_DIR:
        return False
    directory = Path(settings.ELOKET_SEAL_DIR)
    return (directory / f"{municipality.slug}.p12").exists() or (
        (directory / f"{municipality.slug}.key.pem").exists()
        and (directory / f"{municipality.slug}.cert.pem").exists()
    )


def seal_file_install(municipality: Municipality, data: bytes) -> Path:
    """Write a checked PKCS#12 seal file as `<slug>.p12` in ELOKET_SEAL_DIR, readable by
    the server's user only; never over a seal already there (documents sealed with it
    must stay verifiable: changing a seal is the operator's deliberate act by hand)."""
    if not settings.ELOKET_SEAL_DIR:
        raise SealNotConfigured(_("No seal certificates are configured on this platform."))
    if seal_present(municipality):
        raise SealNotConfigured(
            _("%(name)s already has a seal key: it is kept.")
            % {"name": municipality.display_name()}
        )
    directory = Path(settings.ELOKET_SEAL_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{municipality.slug}.p12"
    partial = directory / f".{municipality.slug}.p12.partial"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    partial.replace(target)
    return target


def demo_seal_allowed() -> bool:
    """Whether this platform issues demo seals itself (development, `make run`'s PKI)."""
    return bool(settings.ELOKET_SEAL_DIR) and (
        not settings.PRODUCTION and Path(settings.ELOKET_SEAL_DIR).name == "seals"
    )


def _officer_stem(username: str) -> str:
    """A file name for the officer's key: the user name, without path characters."""
    return "".join(c if c.isalnum() or c in "._-@" else "_" for c in username).lstrip(".")


def _demo_pki_allowed(directory: Path) -> bool:
    return (
        not settings.PRODUCTION
        and directory.name == "seals"
        and (directory.parent / "root.cert.pem").exists()
    )


def seal_owner(certificate: asn1_x509.Certificate) -> Municipality | None:
    """The municipality whose configured seal certificate this is, byte for byte; None
    for any other. Verification names the issuer of a changed copy by it (the signature
    over the seal's signed attributes still proves who made the seal). Reads only the
    certificates already in ELOKET_SEAL_DIR: unlike `seal_material`, it never makes one."""
    directory = Path(settings.ELOKET_SEAL_DIR) if settings.ELOKET_SEAL_DIR else None
    if directory is None or not directory.is_dir():
        return None
    wanted = certificate.dump()
    for municipality in Municipality.objects.filter(is_active=True).defer("logo", "custom_css"):
        if _seal_certificate_der(directory, municipality.slug) == wanted:
            return municipality
    return None


_der_cache: dict[tuple[str, float], bytes | None] = {}


def _seal_certificate_der(directory: Path, slug: str) -> bytes | None:
    """The DER of the municipality's seal certificate (cached by file and change time)."""
    p12, cert_pem = directory / f"{slug}.p12", directory / f"{slug}.cert.pem"
    source = p12 if p12.exists() else cert_pem
    if not source.exists():
        return None
    stamp = (str(source), os.stat(source).st_mtime)
    if stamp not in _der_cache:
        der: bytes | None = None
        try:
            if source == p12:
                _key, cert, _extra = pkcs12.load_key_and_certificates(
                    p12.read_bytes(), _passphrase()
                )
                der = cert.public_bytes(serialization.Encoding.DER) if cert else None
            else:
                der = _load_pem_certs(cert_pem)[0].dump()
        except (ValueError, IndexError, OSError):
            der = None  # an unreadable seal file names no one; issuing reports it
        _der_cache[stamp] = der
    return _der_cache[stamp]


def trust_roots() -> list[asn1_x509.Certificate]:
    path = settings.ELOKET_TRUST_ROOTS
    if not path or not Path(path).exists():
        raise SealNotConfigured(_("No trust roots are configured for verification."))
    return _load_pem_certs(Path(path))


# --- The demo PKI


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, sign: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=sign,
        content_commitment=sign,  # non-repudiation: a seal commits the municipality
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)


def demo_root(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "root.cert.pem", directory / "root.key.pem"
    if cert_path.exists() and key_path.exists():
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return cert, key
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name("Eloket Demo Root CA", "Eloket demo (not a real authority)")
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(sign=False, ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert, key


def demo_tsa(directory: Path) -> tuple[Path, Path]:
    """The demo time-stamping authority's certificate and key (`tsa.cert.pem`,
    `tsa.key.pem`), issued by the demo root (idempotent). Extended key usage timeStamping,
    critical, as RFC 3161 requires (`openssl ts -verify` insists). RSA: the demo TSA signs
    with pyHanko's time-stamper, which signs with RSA only."""
    cert_path, key_path = directory / "tsa.cert.pem", directory / "tsa.key.pem"
    if cert_path.exists() and key_path.exists():
        return cert_path, key_path
    root_cert, root_key = demo_root(directory)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(
            _name("Eloket demo time-stamping authority", "Eloket demo (not a real authority)")
        )
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True, ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    _write_key(key_path, key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def demo_seal(directory: Path, municipality: Municipality) -> Path:
    """A seal certificate for the municipality, issued by the demo root (idempotent)."""
    seals = directory / "seals"
    seals.mkdir(parents=True, exist_ok=True)
    cert_path = seals / f"{municipality.slug}.cert.pem"
    if cert_path.exists() and (seals / f"{municipality.slug}.key.pem").exists():
        return cert_path
    root_cert, root_key = demo_root(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    name = municipality.display_name()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{name} — electronic seal", name))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    _write_key(seals / f"{municipality.slug}.key.pem", key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def demo_officer_certificate(
    directory: Path,
    municipality: Municipality,
    *,
    username: str,
    name: str,
    role: str,
    department: str,
) -> Path:
    """A signing certificate naming the officer (name, role, department, municipality),
    with a key pair of their own, issued by the demo root (idempotent)."""
    officers = directory / "officers" / municipality.slug
    officers.mkdir(parents=True, exist_ok=True)
    stem = _officer_stem(username)
    cert_path = officers / f"{stem}.cert.pem"
    if cert_path.exists() and (officers / f"{stem}.key.pem").exists():
        return cert_path
    root_cert, root_key = demo_root(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    attributes = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "BE"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, municipality.display_name()),
    ]
    if department:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, department))
    if role:
        attributes.append(x509.NameAttribute(NameOID.TITLE, role))
    attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, name or username))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(sign=True, ca=False), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    _write_key(officers / f"{stem}.key.pem", key)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path


def demo_pki_ensure(municipalities: list[Municipality], directory: Path | None = None) -> Path:
    directory = directory or Path(settings.VAR_DIR) / "pki"
    demo_root(directory)
    for municipality in municipalities:
        demo_seal(directory, municipality)
    return directory
