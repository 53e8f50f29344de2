"""Citizen-facing pages. Thin: resolve the municipality, call a selector, render."""

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from django.db import connection
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from eloket.common.errors import ApplicationError
from eloket.tenants.catalogue import catalogue_for
from eloket.tenants.decorators import kept_for_visitors, tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.middleware import remember_language
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_list
from eloket.tenants.tokens import css_variables


@require_GET
def platform_home(request: HttpRequest) -> HttpResponse:
    municipalities = [(m, tenant_home_url(m)) for m in municipality_list()]
    return render(request, "web/platform_home.html", {"municipalities": municipalities})


def tenant_home_url(municipality: Municipality) -> str:
    return f"/{municipality.slug}/"


@require_GET
@tenant_page
@kept_for_visitors
def home(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    sections = catalogue_for(tenant, with_entries=False)
    return render(request, "web/home.html", {"sections": sections, "active": "home"})


@require_GET
@tenant_page
@kept_for_visitors
def catalogue(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    return render(
        request, "web/catalogue.html", {"sections": catalogue_for(tenant), "active": "catalogue"}
    )


@require_GET
@tenant_page
def switch_language(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    """Remember the language choice (a cookie) and go back. A link, so it works without JS."""
    if code not in tenant.languages:
        raise Http404(_("This municipality does not offer that language."))
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = tenant_reverse(request, "web:home")
    response = HttpResponseRedirect(target)
    remember_language(response, code)
    return response


def _cached_asset(
    request: HttpRequest, body: bytes, content_type: str, version: str
) -> HttpResponse:
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = etag
    if request.GET.get("v") == version:
        patch_cache_control(response, public=True, max_age=365 * 24 * 3600, immutable=True)
    else:
        patch_cache_control(response, public=True, max_age=300)
    return response


LEGACY_VARIABLES = (
    ";--primary:var(--eloket-primary);--secondary:var(--eloket-secondary);--font:var(--eloket-font)"
)


@require_GET
@tenant_page
def theme_css(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    """The municipality's look as a stylesheet, so that pages need no inline style: its
    design tokens as CSS custom properties (docs/theming.md), validated when saved."""
    tenant = Municipality.objects.get(pk=tenant.pk)  # the middleware deferred custom_css
    variables = css_variables(tenant.look)
    if request.GET.get("in") == "host":
        # Inside a host's chrome (docs/embedding.md): the colours on Eloket's wrapper only,
        # not on the host's page; the custom CSS is for Eloket's own chrome.
        css = f"#eloket#eloket{{{variables}}}\n"
        return _cached_asset(
            request, css.encode(), "text/css; charset=utf-8", tenant.branding_version
        )
    if re.search(r"var\(\s*--(primary|secondary|font)\b", tenant.custom_css):
        # Custom CSS written before the tokens (ADR 0012) names the old properties.
        variables += LEGACY_VARIABLES
    css = ":root{" + variables + "}\n" + tenant.custom_css
    return _cached_asset(request, css.encode(), "text/css; charset=utf-8", tenant.branding_version)


@require_GET
@tenant_page
def logo(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    tenant = Municipality.objects.get(pk=tenant.pk)
    if not tenant.has_logo:
        raise Http404(_("This municipality has no logo."))
    response = _cached_asset(
        request, bytes(tenant.logo), tenant.logo_content_type, tenant.branding_version
    )
    # An uploaded SVG could carry script: never let it run, even when opened directly.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not ready"
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


def _wants_json(request: HttpRequest) -> bool:
    return "/api/" in request.path_info


_EMBED_JS = Path(__file__).parent / "static" / "eloket" / "embed.js"


@lru_cache(maxsize=1)
def _embed_js() -> bytes:
    return _EMBED_JS.read_bytes()


@require_GET
def embed_js(request: HttpRequest) -> HttpResponse:
    """The snippet's script (docs/embedding.md), at an address that never changes, so a
    site pastes it once: kept an hour by browsers (a static file's name changes with its
    content; this one cannot)."""
    response = HttpResponse(_embed_js(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response


def favicon(request: HttpRequest) -> HttpResponse:
    """The shield, for pages that name no icon (browsers then ask for /favicon.ico)."""
    return HttpResponsePermanentRedirect(static("eloket/favicon.svg"))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {
                "code": "not_found",
                "message": _("Nothing was found at this address."),
                "details": None,
            },
            status=404,
        )
    return render(
        request,
        "web/error.html",
        {
            "status": 404,
            "title": _("Page not found"),
            "message": _("Nothing was found at this address."),
        },
        status=404,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse(
            {
                "code": "server_error",
                "message": _("Something went wrong on our side."),
                "details": None,
            },
            status=500,
        )
    return render(
        request,
        "web/error.html",
        {
            "status": 500,
            "title": _("Something went wrong"),
            "message": _("Something went wrong on our side. Please try again later."),
        },
        status=500,
    )


def refused_upload(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    """A request larger than this address accepts (413), refused before it was stored."""
    if _wants_json(request):
        return JsonResponse(
            {"code": exc.code, "message": str(exc), "details": exc.details}, status=exc.status
        )
    return render(
        request,
        "web/error.html",
        {"status": exc.status, "title": _("The file is too large"), "message": str(exc)},
        status=exc.status,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form came back without its security token (an old tab, cookies off)."""
    request.eloket_csrf_failed = True  # type: ignore[attr-defined]  # read by web/framing.py
    if _wants_json(request):
        return JsonResponse(
            {
                "code": "csrf_failed",
                "message": _(
                    "The request lacks its security token. Reload the page and try again."
                ),
                "details": None,
            },
            status=403,
        )
    return render(
        request,
        "web/error.html",
        {
            "status": 403,
            "title": _("Please try again"),
            "message": _(
                "This form has expired or your browser did not send its security token. "
                "Go back, reload the page and send it again. Cookies must be allowed."
            ),
        },
        status=403,
    )
