"""Which municipality a request is for, and in which of its languages to answer."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from eloket.tenants.selectors import municipality_for_request

HOST_URLCONF = "eloket.conf.urls_host"


class TenantMiddleware:
    """Sets `request.tenant` (a Municipality or None) and `request.tenant_by_host`.

    By host name: the municipality's pages are served at the root (HOST_URLCONF).
    By path: `/<slug>/...` with the platform's URLs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host().rsplit(":", 1)[0].lower() if request.get_host() else ""
        first = request.path_info.lstrip("/").split("/", 1)[0]
        tenant, by_host = municipality_for_request(host=host, first_path_segment=first)
        request.tenant = tenant  # type: ignore[attr-defined]
        request.tenant_by_host = by_host  # type: ignore[attr-defined]
        if by_host:
            request.urlconf = HOST_URLCONF
        return self.get_response(request)


def choose_language(request: HttpRequest, offered: list[str]) -> str:
    """The remembered choice if offered, else the browser's best offered one, else the first."""
    remembered = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if remembered in offered:
        return str(remembered)
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.split("-")[0].lower()
        if base in offered:
            return base
    return offered[0]


def offered_languages(request: HttpRequest) -> list[str]:
    """The languages a page of this request can be in: the municipality's, or outside one
    every language of the platform (its default first)."""
    tenant = getattr(request, "tenant", None)
    if tenant is not None:
        return list(tenant.languages)
    codes = [code for code, _name in settings.LANGUAGES]
    codes.remove(settings.LANGUAGE_CODE)
    return [settings.LANGUAGE_CODE, *codes]


def remember_language(response: HttpResponse, code: str) -> None:
    """Keep a visitor's choice of language (a cookie the middleware reads)."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        httponly=True,
    )


class TenantLanguageMiddleware:
    """Activates one of the municipality's languages (or the platform's, outside one)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = choose_language(request, offered_languages(request))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        translation.deactivate()
        return response
