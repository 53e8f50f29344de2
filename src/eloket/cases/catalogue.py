"""Kinds of request defined by data alone in the municipality's service catalogue: each
current one a citizen may start links to its "ask" page."""

from django.utils.translation import gettext as _

from eloket.tenants.catalogue import CatalogueEntry, CatalogueProvider, catalogue_providers
from eloket.tenants.models import Municipality


@catalogue_providers.register("requests")
class Requests(CatalogueProvider):
    module = ""  # not a module of its own: listed whichever modules are on

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        from eloket.cases.selectors import case_types_citizens_start

        return [
            CatalogueEntry(
                title=kind.name(),
                description=_("Answered within %(n)d days.") % {"n": kind.processing_days}
                if kind.audience == "anyone"
                else _("For residents; answered within %(n)d days.") % {"n": kind.processing_days},
                url=f"ask/{kind.code}",
            )
            for kind in case_types_citizens_start(municipality=municipality)
        ]
