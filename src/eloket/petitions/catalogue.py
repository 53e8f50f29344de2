from django.utils.translation import gettext_lazy as _

from eloket.tenants.models import Module, Municipality
from eloket.web.catalogue import CatalogueEntry, register_entries


def _entries(municipality: Municipality) -> list[CatalogueEntry]:
    return [
        CatalogueEntry(
            title=_("Petitions"),
            description=_(
                "Sign a petition to the municipality, or start one with other residents."
            ),
            url="petitions/",
        )
    ]


register_entries(Module.PETITIONS, _entries)
