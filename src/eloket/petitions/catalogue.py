from django.utils.translation import gettext_lazy as _

from eloket.tenants.catalogue import CatalogueEntry, CatalogueProvider, catalogue_providers
from eloket.tenants.models import Module, Municipality
from eloket.tenants.services import MunicipalitySetup, municipality_setups


@catalogue_providers.register("petitions")
class Petitions(CatalogueProvider):
    module = Module.PETITIONS

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        return [
            CatalogueEntry(
                title=_("Petitions"),
                description=_(
                    "Sign a petition to the municipality, or start one with other residents."
                ),
                url="petitions/",
            )
        ]


@municipality_setups.register("petitions")
class PetitionRulesSetup(MunicipalitySetup):
    """Every municipality has petition rules (the defaults) for its administrator to set."""

    def set_up(self, municipality: Municipality) -> None:
        from eloket.petitions.models import PetitionRules

        PetitionRules.objects.get_or_create(municipality=municipality)
