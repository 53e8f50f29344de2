"""Public addresses of a municipality's pages, by host name or by path."""

from django.conf import settings

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
