"""Kinds of request defined by data alone in the municipality's service catalogue: each
current one a citizen may start links to its "ask" page."""

from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext as _

from eloket.tenants.catalogue import (
    CatalogueEntry,
    CatalogueProvider,
    catalogue_cache_clear,
    catalogue_providers,
)
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


# The catalogue lists these: a change shows on this process's next page at once.
post_save.connect(
    catalogue_cache_clear, sender="cases.CaseType", weak=False, dispatch_uid="catalogue-case-types"
)
post_delete.connect(
    catalogue_cache_clear,
    sender="cases.CaseType",
    weak=False,
    dispatch_uid="catalogue-case-types-d",
)
