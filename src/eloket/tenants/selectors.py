"""Reads of municipalities. Municipalities are the tenants themselves, so they are not
filtered by tenant; other apps' selectors take a Municipality and filter by it."""

import time

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.tenants.invalidation import tenant_news_apply
from eloket.tenants.models import RESERVED_SLUGS, Municipality
from eloket.tenants.modules import module_check

# How long a process trusts a tenant row it has read (seconds). Host names are cached
# whether or not they match (the allowed hosts bound them); slugs only when they match.
TENANT_CACHE_SECONDS: float = getattr(settings, "ELOKET_TENANT_CACHE_SECONDS", 5.0)
MAX_CACHED = 2000
_host_cache: dict[str, tuple[Municipality | None, float]] = {}
_slug_cache: dict[str, tuple[Municipality, float]] = {}


def municipality_list(*, include_inactive: bool = False) -> QuerySet[Municipality]:
    qs = Municipality.objects.all().defer("logo", "custom_css").order_by("slug")
    return qs if include_inactive else qs.filter(is_active=True)


def municipality_get(*, slug: str, module: str = "") -> Municipality:
    """The active municipality `slug`; with `module`, only if it has that module on
    (ModuleOff, a 404, otherwise: the API operations of a module pass theirs)."""
    try:
        municipality = Municipality.objects.get(slug=slug, is_active=True)
    except Municipality.DoesNotExist:
        raise NotFound(
            _("There is no municipality “%(slug)s” on this platform.") % {"slug": slug}
        ) from None
    module_check(municipality, module)
    return municipality


def municipality_cached(*, slug: str) -> Municipality | None:
    """The active municipality `slug`, or None, from this process's short-lived tenant
    cache (ADR 0002): what the API's module switch asks on every call of a module's
    operation, at no query once cached. Read it only; never change the row it gives."""
    tenant_news_apply(municipality_cache_clear)
    now = time.monotonic()
    cached = _slug_cache.get(slug)
    if cached is not None and cached[1] > now:
        return cached[0]
    tenant = (
        Municipality.objects.filter(slug=slug, is_active=True).defer("logo", "custom_css").first()
    )
    if tenant is not None:
        if len(_slug_cache) > MAX_CACHED:
            municipality_cache_clear()
        _slug_cache[slug] = (tenant, now + TENANT_CACHE_SECONDS)
    return tenant


def municipality_for_request(
    *, host: str, first_path_segment: str
) -> tuple[Municipality | None, bool]:
    """The municipality a request addresses, and whether it came by its own host name.

    A configured host name wins over a path prefix. Answers come from a short-lived
    per-process cache (ADR 0002): a slug that is not cached is always looked up, so a
    municipality created by `eloket tenant create` while the server runs is served at
    once; a change to an existing one reaches the other processes at once through Redis
    when there is one (tenants/invalidation.py), else within TENANT_CACHE_SECONDS.
    """
    tenant_news_apply(municipality_cache_clear)
    now = time.monotonic()
    cached_host = _host_cache.get(host)
    if cached_host is not None and cached_host[1] > now:
        if cached_host[0] is not None:
            return cached_host[0], True
        slug = first_path_segment if first_path_segment not in RESERVED_SLUGS else ""
        cached_slug = _slug_cache.get(slug) if slug else None
        if cached_slug is not None and cached_slug[1] > now:
            return cached_slug[0], False
        if not slug:
            return None, False
    tenant, by_host = _municipality_for_request_uncached(
        host=host, first_path_segment=first_path_segment
    )
    expires = now + TENANT_CACHE_SECONDS
    if len(_host_cache) > MAX_CACHED or len(_slug_cache) > MAX_CACHED:
        municipality_cache_clear()
    _host_cache[host] = (tenant if by_host else None, expires)
    if tenant is not None and not by_host:
        # Only hits: a miss is looked up again next time, so a new slug is served at once.
        _slug_cache[tenant.slug] = (tenant, expires)
    return tenant, by_host


def _municipality_for_request_uncached(
    *, host: str, first_path_segment: str
) -> tuple[Municipality | None, bool]:
    condition = Q(host=host)
    slug = first_path_segment if first_path_segment not in RESERVED_SLUGS else ""
    if slug:
        condition |= Q(slug=slug)
    matches = list(
        Municipality.objects.filter(condition, is_active=True).defer("logo", "custom_css")[:2]
    )
    for municipality in matches:
        if municipality.host and municipality.host == host:
            return municipality, True
    for municipality in matches:
        if municipality.slug == slug:
            return municipality, False
    return None, False


def municipality_cache_clear() -> None:
    """Forget cached tenants in this process (services call it after every change), and
    the catalogues built from them."""
    from eloket.tenants.catalogue import catalogue_cache_clear
    from eloket.tenants.chrome import chrome_cache_clear

    _host_cache.clear()
    _slug_cache.clear()
    _plugin_cache.clear()
    catalogue_cache_clear()
    chrome_cache_clear()


# Plugin settings are read on hot paths (every register read asks which backend): kept
# per process like tenants, for TENANT_CACHE_SECONDS, and forgotten on every change
# (PluginSetting.save; other processes through tenants/invalidation.py).
_plugin_cache: dict[tuple[int, str], tuple[dict[str, tuple[bool, dict[str, object]]], float]] = {}


def _plugin_settings(municipality: Municipality, registry: str) -> dict[str, tuple[bool, dict]]:
    from eloket.tenants.models import PluginSetting

    tenant_news_apply(municipality_cache_clear)
    key = (municipality.pk, registry)
    now = time.monotonic()
    cached = _plugin_cache.get(key)
    if cached is not None and cached[1] > now:
        return cached[0]
    found = {
        plugin: (enabled, dict(options))
        for plugin, enabled, options in PluginSetting.objects.filter(
            municipality=municipality, registry=registry
        ).values_list("plugin", "enabled", "options")
    }
    if len(_plugin_cache) > MAX_CACHED:
        _plugin_cache.clear()
    _plugin_cache[key] = (found, now + TENANT_CACHE_SECONDS)
    return found


def plugin_options(
    *, municipality: Municipality, registry: str, plugin: str
) -> dict[str, object] | None:
    """The municipality's options for a plugin ({} when it set none), or None when it
    switched the plugin off."""
    enabled, options = _plugin_settings(municipality, registry).get(plugin, (True, {}))
    return options if enabled else None


def plugin_chosen(*, municipality: Municipality, registry: str, default: str) -> str:
    """The one plugin of a registry the municipality uses (a document signer, a register
    backend): its enabled setting, else the platform's default."""
    enabled = sorted(p for p, (on, _o) in _plugin_settings(municipality, registry).items() if on)
    return enabled[0] if enabled else default
