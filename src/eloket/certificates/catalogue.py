"""The certificates in the municipality's service catalogue, and their set-up when a
municipality is made."""

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from eloket.common.actors import Actor
from eloket.common.money import format_fee
from eloket.tenants.catalogue import (
    CatalogueEntry,
    CatalogueProvider,
    catalogue_cache_clear,
    catalogue_providers,
)
from eloket.tenants.models import Module, Municipality
from eloket.tenants.services import MunicipalitySetup, municipality_setups


@catalogue_providers.register("certificates")
class Certificates(CatalogueProvider):
    module = Module.CERTIFICATES

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        from eloket.certificates.selectors import certificate_types_offered

        return [
            CatalogueEntry(
                title=t.label,
                description=_("Issued at once, sealed, to download.")
                if t.instant
                else _("Checked by an officer within %(n)d days.") % {"n": t.processing_days},
                url=f"certificates/{t.code}/order",
                fee=format_fee(t.fee_cents, t.currency),
            )
            for t in certificate_types_offered(municipality=municipality)
        ]


@municipality_setups.register("certificates")
class CertificatesSetup(MunicipalitySetup):
    def set_up(self, municipality: Municipality) -> None:
        from eloket.certificates.services.types import certificate_types_ensure

        if Module.CERTIFICATES in municipality.modules:
            certificate_types_ensure(
                actor=Actor.system("Eloket", municipality), municipality=municipality
            )


# The catalogue lists these: a change shows on this process's next page at once.
post_save.connect(
    catalogue_cache_clear,
    sender="certificates.CertificateType",
    weak=False,
    dispatch_uid="catalogue-certificate-types",
)
post_delete.connect(
    catalogue_cache_clear,
    sender="certificates.CertificateType",
    weak=False,
    dispatch_uid="catalogue-certificate-types-d",
)
