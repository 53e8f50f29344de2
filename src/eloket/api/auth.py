"""How API callers say who they are: a bearer token (`Authorization: Bearer elk_...`),
or the browser session (with its CSRF token on unsafe methods)."""

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from eloket.identity.services import api_token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        request.auth_method = "token"  # type: ignore[attr-defined]
        return user


class Session(SessionAuth):
    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if request.user.is_authenticated:
            if getattr(request, "auth_method", "") != "token":
                request.auth_method = "session"  # type: ignore[attr-defined]
            return request.user
        return None


AUTH = [BearerToken(), Session()]
