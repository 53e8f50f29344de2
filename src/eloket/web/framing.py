"""Which pages a municipality's configured sites may show in a frame (the embed.js
snippet, docs/embedding.md, ADR 0013). Everything else keeps X-Frame-Options DENY and
frame-ancestors 'none': the platform's own pages, the admin, log-in, one's own data and
the officers' pages."""

from typing import Any
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from eloket.tenants.links import tenant_reverse

# The citizen pages of a municipality (by URL namespace). Not "identity" (log-in, one's
# own data), "auth" (the platform's log-in and log-out), "backoffice" or "attachments"
# (files, served with their own sandboxing policy).
FRAMED_NAMESPACES = frozenset({"web", "forum", "certificates", "petitions", "services", "cases"})
# Pages of those under /my/, with one's own data: never framed, like /my/ itself.
UNFRAMED_NAMES = frozenset({"certificates:my-orders", "cases:my-requests"})


def frame_origins_for(request: HttpRequest) -> tuple[str, ...]:
    """The origins that may frame this request's page, () when none may."""
    tenant: Any = getattr(request, "tenant", None)
    if tenant is None or not tenant.frame_origins:
        return ()
    match = getattr(request, "resolver_match", None)
    if (
        match is None
        or match.namespace not in FRAMED_NAMESPACES
        or (match.url_name or "").startswith("officer")
        or match.view_name in UNFRAMED_NAMES
    ):
        return ()
    return tuple(str(origin) for origin in tenant.frame_origins)


def frame_script(request: HttpRequest) -> dict[str, str] | None:
    """What the page's framed.js needs when the page may be framed: the origins it posts
    its height to, and the paths a link in the frame opens at the top level (log-in, one's
    own data, the officers' pages: never framed, and they need Eloket's cookies)."""
    origins = frame_origins_for(request)
    if not origins:
        return None
    return {"origins": " ".join(origins), "top": " ".join(_top_paths(request))}


def _top_paths(request: HttpRequest) -> list[str]:
    return [
        tenant_reverse(request, "identity:login"),
        tenant_reverse(request, "identity:my-data"),
        tenant_reverse(request, "backoffice:home"),
        "/auth/",
        "/admin/",
    ]


def in_frame(request: HttpRequest) -> bool:
    """The browser loads this page into a frame (Fetch Metadata: Chromium, Firefox,
    Safari 16.4+)."""
    return request.headers.get("Sec-Fetch-Dest") == "iframe"


def leave_frame(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """In a frame, a framed page that answers with a redirect to a page never framed (a
    log-in asked for by an order form), or a form refused for its missing security token
    (a frame on another site gets no Eloket cookies), would leave the visitor with a
    blank frame. Instead it answers a short page, framed, with a link that goes on at
    the top level: to the redirect's address, or to the same page."""
    if not in_frame(request) or not frame_origins_for(request):
        return response
    location = title = message = ""
    status = 200
    if response.status_code in (301, 302, 303, 307, 308):
        target = response.get("Location", "")
        path = urlsplit(target).path
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ) and any(path.startswith(top) for top in _top_paths(request)):
            location = target
        title = _("Log in to go on")
        message = _(
            "This step needs you to log in. That happens on the e-counter's own page, "
            "not inside another site; you come back to this step afterwards."
        )
    elif response.status_code == 403 and getattr(request, "eloket_csrf_failed", False):
        location, status = request.get_full_path(), 403
        title = _("Please go on at the e-counter's own page")
        message = _(
            "Your browser did not let this site's frame send the form. Open the page "
            "on the e-counter's own site and send it from there."
        )
    if not location:
        return response
    page = render(
        request,
        "web/leave_frame.html",
        {"title": title, "message": message, "location": location},
        status=status,
    )
    add_never_cache_headers(page)
    patch_vary_headers(page, ("Sec-Fetch-Dest",))
    return page
