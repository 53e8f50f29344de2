"""Links inside the current municipality, by path (`/gent/services/`) or by its own host
(`/services/`). Templates call it as `turl("web:catalogue")`."""

from functools import lru_cache
from typing import Any

from django.urls import get_script_prefix, get_urlconf, reverse


@lru_cache(maxsize=8192)
def _reverse(
    urlconf: str | None, prefix: str, name: str, kwargs: tuple[tuple[str, Any], ...]
) -> str:
    # URLconfs do not change while the process runs, so an answer for the same
    # (URLconf, script prefix, name, arguments) stays true. Pages reverse a dozen URLs.
    return reverse(name, urlconf=urlconf, kwargs=dict(kwargs) or None)


def _link_base(request: Any) -> tuple[str | None, str]:
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
    urlconf, prefix = _link_base(request)
    return _reverse(urlconf, prefix, name, tuple(sorted(kwargs.items())))
