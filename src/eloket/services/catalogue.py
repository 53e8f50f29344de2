"""The municipality's services in its catalogue: each offered one links to its form."""

from django.utils.translation import gettext as _

from eloket.tenants.catalogue import CatalogueEntry, CatalogueProvider, catalogue_providers
from eloket.tenants.models import Municipality


@catalogue_providers.register("services")
class Services(CatalogueProvider):
    module = ""  # listed whichever modules are on

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        from eloket.cases.texts import localized
        from eloket.services.display import fee_label
        from eloket.services.selectors import services_offered

        entries = []
        for kind in services_offered(municipality=municipality):
            help_text = localized(kind.options.get("help", {}))
            days = _("Answered within %(n)d days.") % {"n": kind.processing_days}
            entries.append(
                CatalogueEntry(
                    title=kind.name(),
                    description=f"{help_text.split(chr(10))[0][:200]} {days}".strip(),
                    url=f"services/{kind.code}",
                    fee=fee_label(kind),
                )
            )
        return entries
