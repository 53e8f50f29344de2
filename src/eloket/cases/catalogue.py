"""Kinds of request defined by data in the municipality's service catalogue: each current,
offered one links to where a citizen starts it (a generic request's "ask" page, a
service's form), as its handler says (`CaseHandler.catalogue_entry`)."""

from django.db.models.signals import post_delete, post_save

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
        """Every current, offered kind whose handler gives it an entry (a generic
        request's "ask" page, a service's form), by name, in one query."""
        from eloket.cases.handlers import case_handlers
        from eloket.cases.selectors import case_types_of

        entries = []
        for kind in case_types_of(municipality=municipality).filter(active=True):
            handler = case_handlers.get(kind.handler)
            entry = handler.catalogue_entry(kind) if handler is not None else None
            if entry is not None:
                entries.append(entry)
        return sorted(entries, key=lambda entry: str(entry.title).casefold())


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
