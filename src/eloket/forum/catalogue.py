"""The forum and petitions in the municipality's service catalogue."""

from django.utils.translation import gettext_lazy as _

from eloket.tenants.catalogue import CatalogueEntry, CatalogueProvider, catalogue_providers
from eloket.tenants.models import Module, Municipality


@catalogue_providers.register("forum")
class Forum(CatalogueProvider):
    module = Module.PARTICIPATION

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        return [
            CatalogueEntry(
                title=_("Policy forum"),
                description=_("Give your opinion on the municipality's plans and vote on others'."),
                url="forum/",
            ),
            CatalogueEntry(
                title=_("Suggest a topic"),
                description=_("Say what the municipality should ask residents about next."),
                url="forum/suggestions/",
            ),
        ]
