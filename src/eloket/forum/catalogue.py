"""The forum and petitions in the municipality's service catalogue."""

from django.utils.translation import gettext_lazy as _

from eloket.tenants.models import Module, Municipality
from eloket.web.catalogue import CatalogueEntry, register_entries


def _forum(municipality: Municipality) -> list[CatalogueEntry]:
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


register_entries(Module.PARTICIPATION, _forum)
