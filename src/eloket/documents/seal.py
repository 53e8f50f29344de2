"""PAdES seals with pyHanko, done the fast way (benchmarks/certificates.py):

- the signer keeps the parsed private key (pyHanko's SimpleSigner parses it again for
  every signature: ~36 ms for an RSA key);
- the signature container's size is reserved up front (otherwise pyHanko signs twice
  to measure it);
- signers are built once per municipality and process.

With `ELOKET_TSA_URL` set, the seal carries an RFC 3161 time-stamp from that authority.

Signers are plugins (`document_signers`); a municipality's setting names the one it uses
(`pades`, the municipality's own seal key, by default). A hardware security module or a
remote signing service would be another plugin.
"""

import io
import threading
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import ECDSA, EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from django.conf import settings
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.sign.general import get_pyca_cryptography_hash
from pyhanko.sign.signers.pdf_cms import SimpleSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from eloket.common.registry import Plugin, Registry
from eloket.documents.pki import SealMaterial, officer_material, seal_material
from eloket.tenants.models import Municipality

# Enough for the CMS container with a two-certificate chain and a time-stamp token.
BYTES_RESERVED = 16 * 1024


class ParsedKeySigner(SimpleSigner):
    """SimpleSigner that signs with a private key parsed once."""

    def __init__(self, *, material: SealMaterial, **kwargs: Any) -> None:
        super().__init__(
            signing_cert=material.certificate,
            signing_key=material.private_key_info,
            cert_registry=SimpleCertificateStore.from_certs(list(material.chain)),
            **kwargs,
        )
        self._key = material.private_key

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        if mechanism == "ecdsa" and isinstance(self._key, EllipticCurvePrivateKey):
            return self._key.sign(data, ECDSA(hash_algorithm))
        if mechanism == "rsassa_pkcs1v15" and isinstance(self._key, RSAPrivateKey):
            return self._key.sign(data, PKCS1v15(), hash_algorithm)
        return super().sign_raw(data, digest_algorithm)  # PSS and others: pyHanko's way


_signers: dict[int, tuple[SealMaterial, ParsedKeySigner]] = {}
_lock = threading.Lock()


def _signer_of(material: SealMaterial) -> ParsedKeySigner:
    """One signer per key material (which `pki` caches per file and change time)."""
    with _lock:
        found = _signers.get(id(material))
        if found is None or found[0] is not material:
            found = _signers[id(material)] = (material, ParsedKeySigner(material=material))
        return found[1]


def _signer(municipality: Municipality) -> ParsedKeySigner:
    return _signer_of(seal_material(municipality))


def _timestamper() -> Any:
    url = settings.ELOKET_TSA_URL
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=10)


def sign_incrementally(
    pdf: bytes,
    *,
    signer: ParsedKeySigner,
    field_name: str,
    reason: str,
    location: str,
    name: str,
) -> tuple[bytes, bool]:
    """The PDF with one more PAdES signature appended as an incremental update (earlier
    signatures stay intact); and whether it is time-stamped."""
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location[:100],
        name=name[:200],
    )
    timestamper = _timestamper()
    pdf_signer = signers.PdfSigner(meta, signer, timestamper=timestamper)
    out = io.BytesIO()
    pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False),
        output=out,
        bytes_reserved=BYTES_RESERVED,
    )
    return out.getvalue(), timestamper is not None


def seal_pdf(
    pdf: bytes, *, municipality: Municipality, reason: str, location: str
) -> tuple[bytes, bool]:
    """The PDF with the municipality's PAdES seal appended; and whether it is time-stamped."""
    return sign_incrementally(
        pdf,
        signer=_signer(municipality),
        field_name="EloketSeal",
        reason=reason,
        location=location,
        name=municipality.display_name(),
    )


class DocumentSigner(Plugin):
    def seal(
        self, pdf: bytes, *, municipality: Municipality, reason: str, location: str
    ) -> tuple[bytes, bool]:
        """The sealed PDF, and whether the seal is time-stamped."""
        raise NotImplementedError


document_signers: Registry[DocumentSigner] = Registry(
    "document_signers", description="document signer", configurable=True, operator_only=True
)


@document_signers.register("pades")
class PadesSeal(DocumentSigner):
    """The municipality's seal key (ELOKET_SEAL_DIR), PAdES with pyHanko."""

    verbose_name = "PAdES seal with the municipality's key"

    def seal(
        self, pdf: bytes, *, municipality: Municipality, reason: str, location: str
    ) -> tuple[bytes, bool]:
        return seal_pdf(pdf, municipality=municipality, reason=reason, location=location)


# --- Officers' signatures on decisions (issue 13)


class ApprovalSigner(Plugin):
    """Signs a decision in an approving officer's name: one more incremental PAdES
    signature, made with that officer's own key. A signing service or a PKCS#11 token
    would be another plugin: the key never has to be on this server."""

    def sign(
        self,
        pdf: bytes,
        *,
        municipality: Municipality,
        username: str,
        name: str,
        role: str,
        department: str,
        field_name: str,
        reason: str,
        location: str,
    ) -> bytes:
        raise NotImplementedError


approval_signers: Registry[ApprovalSigner] = Registry(
    "approval_signers",
    description="officer signature on a decision",
    configurable=True,
    operator_only=True,
)


@approval_signers.register("officer_keys")
class OfficerKeySignature(ApprovalSigner):
    """The officer's key and certificate from ELOKET_OFFICER_KEY_DIR (the demo PKI issues
    one per officer), PAdES with pyHanko."""

    verbose_name = "PAdES signature with the officer's own key"

    def sign(
        self,
        pdf: bytes,
        *,
        municipality: Municipality,
        username: str,
        name: str,
        role: str,
        department: str,
        field_name: str,
        reason: str,
        location: str,
    ) -> bytes:
        material = officer_material(
            municipality, username=username, name=name, role=role, department=department
        )
        signed, _timestamped = sign_incrementally(
            pdf,
            signer=_signer_of(material),
            field_name=field_name,
            reason=reason,
            location=location,
            name=name,
        )
        return signed
