"""Citizens' login with the eID card's authentication certificate.

A TLS-terminating proxy (nginx, see docs/identity.md) asks the browser for the card's
client certificate and forwards it, PEM-encoded, in a header (`EID_CERT_HEADER`). The header
is believed only from the proxy's addresses (`EID_TRUSTED_PROXIES`). The chain is validated
with pyhanko-certvalidator against the configured CA bundle (`EID_CA_BUNDLE`: roots and
intermediate CAs): validity dates, key usage, and revocation when CRLs are configured
(`EID_CRL_FILES`; then every CA's CRL must be there and current). The national number is the
subject's serialNumber. No network access: nothing is fetched.
"""

import asyncio
import ipaddress
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

from asn1crypto import crl as asn1_crl
from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from eloket.common.errors import ApplicationError


class CertificateRefused(ApplicationError):
    code = "certificate_refused"
    status = 403


PEM_BODY = re.compile(
    r"-----BEGIN CERTIFICATE-----(?P<body>[A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----"
)


@dataclass(frozen=True)
class TrustConfig:
    roots: tuple[asn1_x509.Certificate, ...]
    intermediates: tuple[asn1_x509.Certificate, ...]
    crls: tuple[bytes, ...]


def _read_pem_or_der(path: Path) -> list[bytes]:
    data = path.read_bytes()
    if pem.detect(data):
        return [der for _type, _headers, der in pem.unarmor(data, multiple=True)]
    return [data]


@lru_cache(maxsize=4)
def _trust(bundle: str, crl_files: tuple[str, ...], stamp: tuple[float, ...]) -> TrustConfig:
    roots: list[asn1_x509.Certificate] = []
    intermediates: list[asn1_x509.Certificate] = []
    for der in _read_pem_or_der(Path(bundle)):
        cert = asn1_x509.Certificate.load(der)
        (roots if cert.self_signed in ("maybe", "yes") else intermediates).append(cert)
    crls = [der for path in crl_files for der in _read_pem_or_der(Path(path))]
    for der in crls:
        asn1_crl.CertificateList.load(der).native  # noqa: B018 (fails early on a bad file)
    return TrustConfig(tuple(roots), tuple(intermediates), tuple(crls))


def trust_config() -> TrustConfig:
    bundle = settings.ELOKET_EID_CA_BUNDLE
    if not bundle:
        raise CertificateRefused(
            _("Login with the eID card is not set up on this platform."), code="eid_not_configured"
        )
    files = tuple(settings.ELOKET_EID_CRL_FILES)
    # Reload when a file changes (a new CRL is published every few hours).
    stamp = tuple(os.stat(p).st_mtime for p in (bundle, *files))
    return _trust(bundle, files, stamp)


def from_trusted_proxy(request: HttpRequest) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    try:
        remote = ipaddress.ip_address(address)
    except ValueError:
        return False
    for network in settings.ELOKET_EID_TRUSTED_PROXIES:
        try:
            if remote in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


def forwarded_certificate(request: HttpRequest) -> str:
    header = "HTTP_" + settings.ELOKET_EID_CERT_HEADER.upper().replace("-", "_")
    return str(request.META.get(header, "") or "")


def parse_forwarded_pem(raw: str) -> asn1_x509.Certificate:
    """The certificate a proxy forwarded: URL-encoded PEM (nginx's $ssl_client_escaped_cert)
    or PEM whose line breaks became spaces or tabs."""
    import base64

    text = unquote(raw) if "%" in raw else raw
    match = PEM_BODY.search(text)
    if not match:
        raise CertificateRefused(
            _("The card's certificate could not be read."), code="malformed_certificate"
        )
    try:
        der = base64.b64decode("".join(match.group("body").split()), validate=True)
        cert = asn1_x509.Certificate.load(der)
        cert.native  # noqa: B018 (parse it all now, not halfway through validation)
    except (ValueError, TypeError) as exc:
        raise CertificateRefused(
            _("The card's certificate could not be read."), code="malformed_certificate"
        ) from exc
    return cert


def national_number_of(cert: asn1_x509.Certificate) -> str:
    serial = cert.subject.native.get("serial_number")
    if not serial or not str(serial).strip().isdigit():
        raise CertificateRefused(
            _("This certificate does not carry a national number (no serialNumber)."),
            code="no_serial_number",
        )
    return str(serial).strip()


def validate_certificate(cert: asn1_x509.Certificate) -> None:
    """Raise CertificateRefused with a distinct code for each reason a card is refused."""
    trust = trust_config()
    context = ValidationContext(
        trust_roots=list(trust.roots),
        other_certs=list(trust.intermediates),
        crls=list(trust.crls),
        # With CRLs configured, every certificate below the root must be covered by a
        # current CRL ("require"); "hard-fail" would only check certificates that name a
        # distribution point.
        revocation_mode="require" if trust.crls else "soft-fail",
        allow_fetching=False,
        moment=timezone.now(),
    )
    validator = CertificateValidator(cert, validation_context=context)
    try:
        asyncio.run(validator.async_validate_usage({"digital_signature"}))
    except cv_errors.RevokedError as exc:
        raise CertificateRefused(
            _("This card's certificate has been revoked."), code="revoked"
        ) from exc
    except cv_errors.ExpiredError as exc:
        raise CertificateRefused(
            _("This card's certificate has expired. Renew your eID card."), code="expired"
        ) from exc
    except cv_errors.NotYetValidError as exc:
        raise CertificateRefused(
            _("This card's certificate is not valid yet."), code="not_yet_valid"
        ) from exc
    except cv_errors.PathBuildingError as exc:
        raise CertificateRefused(
            _("This certificate was not issued by a trusted eID authority."),
            code="untrusted_issuer",
        ) from exc
    except cv_errors.InsufficientRevinfoError as exc:
        raise CertificateRefused(
            _("The revocation status of this card cannot be checked right now."),
            code="revocation_unknown",
        ) from exc
    except cv_errors.InvalidCertificateError as exc:
        raise CertificateRefused(
            _("This certificate may not be used to log in."), code="wrong_usage"
        ) from exc
    except cv_errors.PathValidationError as exc:
        raise CertificateRefused(
            _("This card's certificate chain is not valid."), code="invalid_chain"
        ) from exc


def eid_card_national_number(request: HttpRequest) -> str:
    """The national number of the card presented through the trusted proxy."""
    raw = forwarded_certificate(request) if from_trusted_proxy(request) else ""
    if not raw:
        raise CertificateRefused(
            _(
                "No eID card certificate reached us. Insert your card in the reader, and "
                "choose its authentication certificate when your browser asks."
            ),
            code="no_certificate",
        )
    cert = parse_forwarded_pem(raw)
    validate_certificate(cert)
    return national_number_of(cert)
