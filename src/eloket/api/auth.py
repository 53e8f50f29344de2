"""How API callers say who they are: a bearer token (`Authorization: Bearer elk_...`),
or the browser session (with its CSRF token on unsafe methods).

A request that carries a bearer token is judged by that token alone: a revoked, expired
or mistyped one answers 401 `not_authenticated`, on a POST as on a GET, and a session
cookie sent alongside does not make up for it. The CSRF check belongs to the session: it
runs only when a session is what authenticates the request (nobody logged in answers 401
too, not a CSRF 403 that would send a script looking for a cookie)."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from eloket.identity.middleware import municipality_slug_of
from eloket.identity.services import api_token_find


def sends_bearer_token(request: HttpRequest) -> bool:
    scheme, _space, _token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer"


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = api_token_find(token, municipality_slug=municipality_slug_of(request))
        if found is None:
            return None
        request.user = found.user
        request.auth_method = "token"  # type: ignore[attr-defined]
        # A token made with this token is no wider than it (identity.sessions.token_scope).
        request.token_municipalities = list(found.municipalities)  # type: ignore[attr-defined]
        return found.user


class Session(SessionAuth):
    def __call__(self, request: HttpRequest) -> Any:
        if sends_bearer_token(request) or not request.user.is_authenticated:
            return None  # 401: there is no session to protect from forged requests
        return super().__call__(request)  # the CSRF check, then `authenticate`

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            if getattr(request, "auth_method", "") != "token":
                request.auth_method = "session"  # type: ignore[attr-defined]
            return request.user
        return None


AUTH = [BearerToken(), Session()]
