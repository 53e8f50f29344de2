"""The certificates a municipality offers: created with the defaults when the module is
switched on (its administrator changes fees, languages, channels and rules afterwards)."""

from typing import Any

from eloket.certificates.defaults import ALL_CHANNELS, DEFAULTS
from eloket.certificates.models import DOCUMENT_LANGUAGES, CertificateType
from eloket.common.actors import Actor
from eloket.common.permissions import Permission, authorize

CURRENCY = {"BE": "EUR", "KR": "KRW"}


def certificate_types_ensure(*, actor: Actor, municipality: Any) -> list[CertificateType]:
    """The municipality's certificate types, created with the defaults when missing."""
    existing = {t.code: t for t in CertificateType.objects.filter(municipality=municipality)}
    missing = [code for code in DEFAULTS if code not in existing]
    if missing:
        authorize(actor, municipality, Permission.CONFIGURE)
    languages = [code for code in municipality.languages if code in DOCUMENT_LANGUAGES] or ["en"]
    for code in missing:
        defaults = DEFAULTS[code]
        existing[code] = CertificateType.objects.create(
            municipality=municipality,
            code=code,
            languages=languages,
            delivery_channels=list(ALL_CHANNELS),
            currency=CURRENCY.get(municipality.country, "EUR"),
            **{k: list(v) if isinstance(v, list) else v for k, v in defaults.items()},
        )
    return [existing[code] for code in DEFAULTS]
