"""View decorators for pages that live inside a municipality."""

from collections.abc import Callable
from functools import wraps
from typing import Any, overload

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from eloket.tenants.models import Municipality
from eloket.tenants.modules import module_on

View = Callable[..., HttpResponse]


def _tenant_page(view: Callable[..., HttpResponse], module: str) -> View:
    @wraps(view)
    def wrapper(
        request: HttpRequest, municipality: str | None = None, **kwargs: Any
    ) -> HttpResponse:
        tenant: Municipality | None = getattr(request, "tenant", None)
        if tenant is None or (municipality is not None and tenant.slug != municipality):
            raise Http404(_("There is no municipality at this address."))
        if not module_on(tenant, module):
            raise Http404(_("Nothing was found at this address."))
        return view(request, tenant, **kwargs)

    wrapper.eloket_module = module  # type: ignore[attr-defined]
    return wrapper


@overload
def tenant_page(view: Callable[..., HttpResponse], /) -> View: ...
@overload
def tenant_page(*, module: str) -> Callable[[Callable[..., HttpResponse]], View]: ...
def tenant_page(
    view: Callable[..., HttpResponse] | None = None, /, *, module: str = ""
) -> View | Callable[[Callable[..., HttpResponse]], View]:
    """The page exists only inside a municipality (resolved by TenantMiddleware); the view
    receives it as its second argument. With `module`, it exists only where that module is
    switched on (404 elsewhere): `@tenant_page(module=Module.PETITIONS)`. The module is
    kept on the view as `eloket_module`, which the tests walk the URLconf by."""
    if view is not None:
        return _tenant_page(view, "")
    return lambda v: _tenant_page(v, module)
