"""View decorators for pages that live inside a municipality."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from eloket.tenants.models import Municipality

View = Callable[..., HttpResponse]


def tenant_page(view: Callable[..., HttpResponse]) -> View:
    """The page exists only inside a municipality (resolved by TenantMiddleware); the view
    receives it as its second argument."""

    @wraps(view)
    def wrapper(
        request: HttpRequest, municipality: str | None = None, **kwargs: Any
    ) -> HttpResponse:
        tenant: Municipality | None = getattr(request, "tenant", None)
        if tenant is None or (municipality is not None and tenant.slug != municipality):
            raise Http404(_("There is no municipality at this address."))
        return view(request, tenant, **kwargs)

    return wrapper
