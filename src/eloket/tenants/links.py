"""Public addresses of a municipality's pages, by host name or by path: absolute ones
(`municipality_base_url`, for e-mails and the API) and links inside the current request's
municipality (`tenant_reverse`, by path `/gent/services/` or by its own host
`/services/`; templates call it as `turl("web:catalogue")`)."""

from functools import lru_cache
from typing import Any

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

from eloket.tenants.models import Municipality


def municipality_base_url(
    municipality: Municipality, *, platform_base_url: str | None = None
) -> str:
    """Where the municipality's citizen pages start, ending in a slash."""
    if municipality.host:
        scheme = "https" if settings.PRODUCTION else "http"
        return f"{scheme}://{municipality.host}/"
    base = (platform_base_url or settings.ELOKET_BASE_URL).rstrip("/")
    return f"{base}/{municipality.slug}/"


def municipality_urls(
    municipality: Municipality, *, platform_base_url: str | None = None
) -> dict[str, str]:
    base = (platform_base_url or settings.ELOKET_BASE_URL).rstrip("/")
    home = municipality_base_url(municipality, platform_base_url=base)
    return {
        "home": home,
        "catalogue": f"{home}services/",
        "by_path": f"{base}/{municipality.slug}/",
        "api": f"{base}/api/v1/municipalities/{municipality.slug}",
    }


@lru_cache(maxsize=8192)
def _reverse(
    urlconf: str | None, prefix: str, name: str, kwargs: tuple[tuple[str, Any], ...]
) -> str:
    # URLconfs do not change while the process runs, so an answer for the same
    # (URLconf, script prefix, name, arguments) stays true. Pages reverse a dozen URLs.
    return reverse(name, urlconf=urlconf, kwargs=dict(kwargs) or None)


def link_base(request: Any) -> tuple[str | None, str]:
    """The URLconf and script prefix links are made against. Both are thread-local
    lookups; once the request's URL is resolved they no longer change, so a page with
    many links asks once."""
    base: tuple[str | None, str] | None = getattr(request, "_eloket_link_base", None)
    if base is None:
        base = (get_urlconf(), get_script_prefix())
        if getattr(request, "resolver_match", None) is not None:
            request._eloket_link_base = base
    return base


def tenant_reverse(request: Any, name: str, **kwargs: Any) -> str:
    tenant = getattr(request, "tenant", None)
    if tenant is not None and not getattr(request, "tenant_by_host", False):
        kwargs["municipality"] = tenant.slug
    urlconf, prefix = link_base(request)
    return _reverse(urlconf, prefix, name, tuple(sorted(kwargs.items())))


def municipality_reverse(request: Any, municipality: Municipality, name: str, **kwargs: Any) -> str:
    """A link to a page of `municipality` from a page outside it (the verification page
    naming a document's issuer): by path on the platform's own host; the request's own
    municipality as `tenant_reverse` gives it; another one, seen from a municipality's
    host name, by its path on the platform's address."""
    if getattr(request, "tenant_by_host", False):
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.pk == municipality.pk:
            return tenant_reverse(request, name, **kwargs)
        path = reverse(
            name,
            urlconf=settings.ROOT_URLCONF,
            kwargs={**kwargs, "municipality": municipality.slug},
        )
        return settings.ELOKET_BASE_URL.rstrip("/") + path
    urlconf, prefix = link_base(request)
    kwargs["municipality"] = municipality.slug
    return _reverse(urlconf, prefix, name, tuple(sorted(kwargs.items())))
