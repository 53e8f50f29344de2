"""Who may act where: the checks views and API endpoints call before anything else.

An officer acts for a municipality only when they hold a role there and logged in with
their second factor (or use a token issued after it). A platform operator without a role
in a municipality sees none of its people: operators run the platform, not the registers.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError
from eloket.common.permissions import role_at_least
from eloket.identity import selectors
from eloket.identity.models import Citizen, Role
from eloket.register.models import Person
from eloket.tenants.decorators import tenant_page
from eloket.tenants.models import Municipality


class NotAuthenticated(ApplicationError):
    code = "not_authenticated"
    status = 401


class Forbidden(ApplicationError):
    code = "forbidden"
    status = 403


def officer_access(
    request: HttpRequest, municipality: Municipality, minimum: str = Role.CLERK
) -> Actor:
    """The acting officer of `municipality`, or NotAuthenticated / Forbidden."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated(_("Log in as an officer first."))
    role = selectors.officer_role_in(user, municipality)
    if role is None:
        raise Forbidden(
            _("You do not work for %(name)s on this platform.")
            % {"name": municipality.display_name()}
        )
    if not selectors.authenticated_by_second_factor(request):
        raise NotAuthenticated(_("Log in with your authenticator code first."))
    if not role_at_least(role.role, minimum):
        raise Forbidden(_("Your role does not allow this."))
    return selectors.officer_actor(role)


def citizen_access(request: HttpRequest) -> tuple[Citizen, Person, Actor]:
    """The logged-in citizen, their register record and them as an actor."""
    user = request.user
    if not user.is_authenticated:
        raise NotAuthenticated(_("Log in with your eID first."))
    citizen = selectors.citizen_of(user)
    person = selectors.citizen_person(user) if citizen else None
    if citizen is None or person is None:
        raise Forbidden(_("This is for citizens logged in with their eID."))
    assert isinstance(user, User)
    return citizen, person, selectors.citizen_actor(user, citizen)


def citizen_actor_for(request: HttpRequest) -> Actor:
    """The logged-in citizen as an actor (for the API): NotAuthenticated when nobody is
    logged in, Forbidden (not_a_citizen) for anyone who is not a citizen."""
    if not request.user.is_authenticated:
        raise NotAuthenticated(_("Log in with your eID first."))
    actor = selectors.citizen_actor_of(request.user)
    if actor is None:
        raise Forbidden(_("This is for citizens logged in with their eID."), code="not_a_citizen")
    return actor


def admin_actor(request: HttpRequest, municipality: Municipality) -> Actor:
    """Who acts in the admin for `municipality`: the officer with their role there, or the
    platform operator (a superuser without one), as the platform acting for it."""
    user = request.user
    role = selectors.officer_role_in(user, municipality)
    if role is not None:
        return selectors.officer_actor(role)
    if user.is_authenticated and user.is_superuser:
        name = user.get_full_name() or user.get_username()
        return Actor(
            kind=ActorKind.SYSTEM,
            label=_("%(name)s (platform operator)") % {"name": name},
            user_id=user.pk,
            municipality=municipality,
        )
    raise Forbidden(_("You do not work for %(name)s.") % {"name": municipality.display_name()})


def officer_page(
    minimum: str = Role.CLERK, *, module: str = ""
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A back-office page: in a municipality, for its officers; the view gets the actor.
    With `module`, only where that module is on (404 elsewhere, before any login check)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @tenant_page(module=module)
        @wraps(view)
        def wrapper(
            request: HttpRequest, tenant: Municipality, *args: Any, **kwargs: Any
        ) -> HttpResponse:
            try:
                actor = officer_access(request, tenant, minimum)
            except NotAuthenticated:
                refused: HttpResponse = HttpResponseRedirect(
                    f"/auth/officer/login?next={request.get_full_path()}"
                )
            except Forbidden as exc:
                refused = render(
                    request,
                    "web/error.html",
                    {"status": 403, "title": _("Not allowed"), "message": exc.message},
                    status=403,
                )
            else:
                return view(request, tenant, actor, *args, **kwargs)
            add_never_cache_headers(refused)  # whatever the view's own decorators say
            return refused

        return wrapper

    return decorate
