"""How API callers say who they are: a bearer token (`Authorization: Bearer elk_...`),
or the browser session (with its CSRF token on unsafe methods)."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from eloket.identity.middleware import municipality_slug_of
from eloket.identity.services import api_token_find


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
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            if getattr(request, "auth_method", "") != "token":
                request.auth_method = "session"  # type: ignore[attr-defined]
            return request.user
        return None


AUTH = [BearerToken(), Session()]
