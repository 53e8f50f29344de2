"""Idle and absolute session expiry (settings ELOKET_SESSION_*_SECONDS)."""

import re
import time
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from eloket.identity.sessions import (
    CITIZEN_METHODS,
    SESSION_AUTH_AT,
    SESSION_CITIZEN_AT,
    SESSION_METHOD,
    SESSION_SEEN_AT,
    session_expired,
    session_logout,
)

# Refresh "last seen" at most this often, so a busy session is not written on every request.
SEEN_RESOLUTION = 60


class SessionExpiryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        # Only sessions that carry a login are looked at (no cookie, no work).
        if session.session_key and SESSION_AUTH_AT in session:
            now = time.time()
            if session_expired(session, now):
                session_logout(request)
                messages.info(request, _("Your session has ended. Please log in again."))
            elif now - session.get(SESSION_SEEN_AT, 0) > SEEN_RESOLUTION:
                session[SESSION_SEEN_AT] = int(now)
        return self.get_response(request)


API_MUNICIPALITY = re.compile(r"^/api/v\d+/m/([a-z0-9-]+)/")


def municipality_slug_of(request: HttpRequest) -> str:
    """The municipality a request is about: its pages (path or own host name), or the
    API's /api/v1/m/<slug>/ paths; "" for the platform's own pages."""
    tenant = getattr(request, "tenant", None)
    if tenant is not None:
        return str(tenant.slug)
    match = API_MUNICIPALITY.match(request.path_info)
    return match.group(1) if match else ""


class CitizenScopeMiddleware:
    """A citizen's login counts only in the municipalities where it was made: on another
    municipality's pages and API the session is not logged in (they log in there, and
    are a visitor if they do not live there). A municipality's identity provider thus
    never opens another municipality's doors."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if session.get(SESSION_METHOD) in CITIZEN_METHODS:
            here = municipality_slug_of(request)
            if here and here not in session.get(SESSION_CITIZEN_AT, ()):
                request.user = AnonymousUser()
                request.logged_in_elsewhere = True  # type: ignore[attr-defined]
        return self.get_response(request)
