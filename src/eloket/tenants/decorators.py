"""View decorators for pages that live inside a municipality."""

from collections.abc import Callable
from functools import wraps
from typing import Any, overload

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from eloket.common.pagecache import visitor_page
from eloket.tenants.links import link_base
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


def kept_for_visitors(view: Callable[..., HttpResponse], /) -> View:
    """A page the same for every visitor who is not logged in, kept per process for a few
    seconds (common/pagecache.py `visitor_page`): under `@tenant_page`, so a module
    switched off still answers 404. The key holds what the page is made of besides its
    data: the municipality's row as this process knows it, its chrome and how links are
    made (platform address or the municipality's host name)."""
    from eloket.tenants.chrome import chrome_version

    name = f"{view.__module__}.{view.__qualname__}"

    @wraps(view)
    def wrapper(request: HttpRequest, tenant: Municipality, **kwargs: Any) -> HttpResponse:
        key = (
            name,
            tenant.pk,
            tenant.updated_at,
            chrome_version(tenant.pk),
            link_base(request),
            getattr(request, "tenant_by_host", False),
        )
        return visitor_page(request, key, lambda: view(request, tenant, **kwargs))

    return wrapper
