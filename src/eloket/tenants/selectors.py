"""Reads of municipalities. Municipalities are the tenants themselves, so they are not
filtered by tenant; other apps' selectors take a Municipality and filter by it."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from eloket.common.errors import NotFound
from eloket.tenants.models import RESERVED_SLUGS, Municipality


def municipality_list(*, include_inactive: bool = False) -> QuerySet[Municipality]:
    qs = Municipality.objects.all().defer("logo", "custom_css").order_by("slug")
    return qs if include_inactive else qs.filter(is_active=True)


def municipality_get(*, slug: str) -> Municipality:
    try:
        return Municipality.objects.get(slug=slug, is_active=True)
    except Municipality.DoesNotExist:
        raise NotFound(
            _("There is no municipality “%(slug)s” on this platform.") % {"slug": slug}
        ) from None


def municipality_for_request(
    *, host: str, first_path_segment: str
) -> tuple[Municipality | None, bool]:
    """The municipality a request addresses, and whether it came by its own host name.

    One query: a configured host name wins over a path prefix. Read on every request
    (no process-local cache), so a municipality created by `eloket tenant create` while
    the server runs is served at once by every worker.
    """
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
