"""Module switches for the API: a module's router answers 404 for a municipality that has
switched the module off, before authentication and input validation, so an operation of
a module that is off answers as an address that never existed (issue 11, point 4).

Operations addressed by a tracking code rather than a municipality check the case's
municipality themselves (after authentication: whether a code exists is not told)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _

from eloket.tenants.modules import ModuleOff, module_on
from eloket.tenants.selectors import municipality_cached

Run = Callable[..., HttpResponseBase]


def module_switch(module: str) -> Callable[[Run], Run]:
    """A router decorator (`router.add_decorator(module_switch(m), mode="view")`)."""

    def decorate(run: Run) -> Run:
        @wraps(run)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            slug = kwargs.get("slug")
            municipality = municipality_cached(slug=slug) if isinstance(slug, str) else None
            # An unknown municipality: the operation answers that itself, in its words.
            if municipality is not None and not module_on(municipality, module):
                from eloket.api.api import application_error

                return application_error(
                    request, ModuleOff(_("Nothing was found at this address."))
                )
            return run(request, **kwargs)

        return wrapper

    return decorate
