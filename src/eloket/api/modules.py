"""Module switches for the API: a module's router answers 404 for a municipality that has
switched the module off, before authentication and input validation, so an operation of
a module that is off answers as an address that never existed (issue 11, point 4).

Operations addressed by a tracking code rather than a municipality check the case's
municipality themselves (after authentication: whether a code exists is not told)."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase

from eloket.common.errors import NotFound
from eloket.tenants.modules import ModuleOff
from eloket.tenants.selectors import municipality_get

Run = Callable[..., HttpResponseBase]


def module_switch(module: str) -> Callable[[Run], Run]:
    """A router decorator (`router.add_decorator(module_switch(m), mode="view")`)."""

    def decorate(run: Run) -> Run:
        @wraps(run)
        def wrapper(request: HttpRequest, **kwargs: Any) -> HttpResponseBase:
            slug = kwargs.get("slug")
            if isinstance(slug, str):
                try:
                    municipality_get(slug=slug, module=module)
                except ModuleOff as exc:
                    from eloket.api.api import application_error

                    return application_error(request, exc)
                except NotFound:
                    pass  # the operation answers an unknown municipality itself
            return run(request, **kwargs)

        return wrapper

    return decorate
