"""The service catalogue of a municipality: one section per enabled module.

Modules add their services by registering a provider (`catalogue_providers`); until one
does, its section tells the citizen how to reach the municipality instead.
"""

import threading
import time
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from eloket.common.registry import Plugin, Registry
from eloket.tenants.models import Module, Municipality


@dataclass(frozen=True)
class CatalogueEntry:
    title: str | Promise
    description: str | Promise
    url: str = ""  # relative to the municipality's home page, e.g. "certificates/life/order"
    fee: str = ""


@dataclass
class CatalogueSection:
    module: str
    title: str | Promise
    intro: str | Promise
    entries: list[CatalogueEntry] = field(default_factory=list)


SECTION_TEXT: dict[str, tuple[Promise, Promise]] = {
    Module.CERTIFICATES: (
        _("Certificates and extracts"),
        _("Certificates from the population register and extracts of civil-status acts."),
    ),
    Module.PERMITS: (
        _("Permits"),
        _("Building and environmental permits, and other applications."),
    ),
    Module.PARTICIPATION: (
        _("Have your say"),
        _("Policy forums where residents give their opinion on plans."),
    ),
    Module.PETITIONS: (_("Petitions"), _("Start or sign a petition to the municipal council.")),
}
# Providers of no module (kinds of request the municipality defined): their own section,
# shown when it has entries.
OTHER_REQUESTS = (
    _("Other requests"),
    _("Ask the municipality for something; you follow your request under My requests."),
)


class CatalogueProvider(Plugin):
    """The entries one module adds to a municipality's catalogue."""

    module: str = ""

    def entries(self, municipality: Municipality) -> list[CatalogueEntry]:
        raise NotImplementedError


catalogue_providers: Registry[CatalogueProvider] = Registry(
    "catalogue_providers", description="catalogue provider"
)


# The entries change when an administrator changes a certificate or a kind of request, not
# between two requests: each process keeps what it built per municipality and language for
# as long as it trusts the tenant row itself (ADR 0002), and forgets it at once when a
# provider's model is written in this process (`catalogue_cache_clear`, connected by the
# providers). Building them cost two queries and ~60% of the catalogue page (issue 11).
_cache: dict[
    tuple[int, tuple[str, ...], str, tuple[str, ...]], tuple[list[CatalogueSection], float]
] = {}
_cache_lock = threading.Lock()
MAX_CACHED = 2000


def catalogue_cache_clear(**_signal: object) -> None:
    """Forget the catalogues built in this process (a provider's data changed)."""
    with _cache_lock:
        _cache.clear()


def catalogue_for(
    municipality: Municipality, *, with_entries: bool = True
) -> list[CatalogueSection]:
    """The sections of enabled modules; with their entries unless only titles are needed
    (the home page), which spares the modules' queries."""
    if not with_entries:
        return _catalogue_build(municipality, with_entries=False)
    from eloket.tenants.selectors import TENANT_CACHE_SECONDS

    # The providers are part of the key: a plugin added or removed while running shows.
    key = (
        municipality.pk,
        tuple(municipality.modules),
        get_language() or "",
        tuple(catalogue_providers.ids()),
    )
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[1] > now:
        return cached[0]
    sections = _catalogue_build(municipality, with_entries=True)
    with _cache_lock:
        if len(_cache) > MAX_CACHED:
            _cache.clear()
        _cache[key] = (sections, now + TENANT_CACHE_SECONDS)
    return sections


def _catalogue_build(municipality: Municipality, *, with_entries: bool) -> list[CatalogueSection]:
    sections = []
    for module in Module.values:
        if module not in municipality.modules:
            continue
        title, intro = SECTION_TEXT[module]
        entries = (
            [
                entry
                for provider in catalogue_providers
                if provider.module == module
                for entry in provider.entries(municipality)
            ]
            if with_entries
            else []
        )
        sections.append(CatalogueSection(module=module, title=title, intro=intro, entries=entries))
    if with_entries:
        others = [
            entry
            for provider in catalogue_providers
            if not provider.module
            for entry in provider.entries(municipality)
        ]
        if others:
            title, intro = OTHER_REQUESTS
            sections.append(
                CatalogueSection(module="requests", title=title, intro=intro, entries=others)
            )
    return sections
