"""Which pages a municipality's configured sites may show in a frame (the embed.js
snippet, docs/embedding.md, ADR 0012). Everything else keeps X-Frame-Options DENY and
frame-ancestors 'none': the platform's own pages, the admin, log-in, one's own data and
the officers' pages."""

from typing import Any

from django.http import HttpRequest

from eloket.tenants.links import tenant_reverse

# The citizen pages of a municipality (by URL namespace). Not "identity" (log-in, one's
# own data), "auth" (the platform's log-in and log-out), "backoffice" or "attachments"
# (files, served with their own sandboxing policy).
FRAMED_NAMESPACES = frozenset({"web", "forum", "certificates", "petitions", "services", "cases"})


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
    top = [
        tenant_reverse(request, "identity:login"),
        tenant_reverse(request, "identity:my-data"),
        tenant_reverse(request, "backoffice:home"),
        "/auth/",
        "/admin/",
    ]
    return {"origins": " ".join(origins), "top": " ".join(top)}
