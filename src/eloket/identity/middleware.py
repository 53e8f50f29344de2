"""Idle and absolute session expiry (settings ELOKET_SESSION_*_SECONDS)."""

import time
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from eloket.identity.sessions import (
    SESSION_AUTH_AT,
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
