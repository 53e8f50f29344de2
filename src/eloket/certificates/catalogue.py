"""The certificates in the municipality's service catalogue, and their names in timelines."""

from django.utils.translation import gettext as _

from eloket.cases.display import register_what_labeller
from eloket.certificates.models import CertificateKind
from eloket.tenants.models import Module, Municipality
from eloket.tenants.services import on_municipality_created
from eloket.web.catalogue import CatalogueEntry, register_entries


def format_fee(cents: int, currency: str) -> str:
    if cents == 0:
        return _("free")
    if currency == "KRW":
        return f"₩{cents // 100:,}"
    return f"€ {cents // 100},{cents % 100:02d}"


def _entries(municipality: Municipality) -> list[CatalogueEntry]:
    from eloket.certificates.services import certificate_types_offered

    return [
        CatalogueEntry(
            title=t.label,
            description=_("Issued at once, sealed, to download.")
            if t.instant
            else _("Checked by an officer within %(n)d days.") % {"n": t.processing_days},
            url=f"certificates/{t.code}/order",
            fee=format_fee(t.fee_cents, t.currency),
        )
        for t in certificate_types_offered(municipality)
    ]


def _what(value: str) -> str | None:
    try:
        return str(CertificateKind(value).label).lower()
    except ValueError:
        return None


register_entries(Module.CERTIFICATES, _entries)
register_what_labeller(_what)


def _set_up(municipality: Municipality) -> None:
    from eloket.certificates.services import certificate_types_ensure

    if Module.CERTIFICATES in municipality.modules:
        certificate_types_ensure(municipality)


on_municipality_created(_set_up)
