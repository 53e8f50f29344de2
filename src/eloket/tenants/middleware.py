"""Which municipality a request is for, and in which of its languages to answer."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from eloket.tenants.selectors import municipality_cached, municipality_for_request

HOST_URLCONF = "eloket.conf.urls_host"
# Paths that name no municipality on any host: no look-up of one (ops/views.py).
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


class TenantMiddleware:
    """Sets `request.tenant` (a Municipality or None) and `request.tenant_by_host`.

    By host name: the municipality's pages are served at the root (HOST_URLCONF).
    By path: `/<slug>/...` with the platform's URLs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info in PROBES:
            # The load balancer's and Prometheus's: answered with the database down too.
            request.tenant = None  # type: ignore[attr-defined]
            request.tenant_by_host = False  # type: ignore[attr-defined]
            return self.get_response(request)
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


API_PREFIX = "/api/"
API_PAGES = {"/api/v1/docs"}  # the reference is a page for people: chosen as pages are
# The API's operations about one municipality: /api/v1/m/<slug>/... and
# /api/v1/municipalities/<slug>[/...] (api/api.py mounts the routers there).
_API_MUNICIPALITY = re.compile(r"^/api/v\d+/(?:m|municipalities)/([^/]+)")


def api_language(request: HttpRequest) -> str:
    """The language of an API answer (its error messages): the one the request names in
    Accept-Language, if the platform has it; else, for an operation about a municipality,
    that municipality's first language; else English, the platform's. What the path
    addresses decides, not the host name or a browser's remembered page language (a
    cookie): an integrator who names no language gets the same answer from anywhere
    (issue 11, point 9)."""
    offered = [code for code, _name in settings.LANGUAGES]
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        base = code.split("-")[0].lower()
        if base in offered:
            return base
    match = _API_MUNICIPALITY.match(request.path_info)
    if match:
        municipality = municipality_cached(slug=match.group(1))
        if municipality is not None and municipality.languages:
            return str(municipality.languages[0])
    return str(settings.LANGUAGE_CODE)


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
    """Activates one of the municipality's languages (or the platform's, outside one);
    for the API, the language `api_language` chooses."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PREFIX) and request.path_info not in API_PAGES:
            language = api_language(request)
        else:
            language = choose_language(request, offered_languages(request))
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        translation.deactivate()
        return response
