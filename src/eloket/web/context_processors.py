from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString

from eloket.tenants.chrome import ChromeParts, chrome_parts
from eloket.web.framing import frame_script

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def platform(request: HttpRequest) -> dict[str, Any]:
    tenant = getattr(request, "tenant", None)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    codes = list(tenant.languages) if tenant else []
    return {
        "tenant": tenant,
        "tenant_name": tenant.display_name(language) if tenant else "Eloket",
        "tenant_languages": [
            (code, LANGUAGE_NAMES[code]) for code in codes if code in LANGUAGE_NAMES
        ],
        "current_language": language,
        "demo_mode": settings.ELOKET_DEMO,
        "is_officer_here": lambda: _is_officer_here(request, tenant),
        "csrf_input": CsrfInput(request),
        "host_chrome": lambda: host_chrome(request, tenant),
        "host_chrome_scripts": lambda: host_chrome_scripts(request),
        "frame_script": lambda: frame_script(request),
    }


# Pages never served in a host's chrome: the officers' (Eloket's own chrome for work), and
# pages where a host's scripts never run: log-in, one's own data, officers'.
NO_CHROME_NAMESPACES = frozenset({"backoffice"})
NO_SCRIPT_NAMESPACES = frozenset({"backoffice", "auth", "identity"})


def host_chrome(request: HttpRequest, tenant: Any) -> ChromeParts | None:
    """The host's chrome this page is served in (docs/embedding.md), or None for Eloket's
    own; noted on the request for the Content-Security-Policy (HostChromeCspMiddleware)."""
    if tenant is None:
        return None
    preview = getattr(request, "eloket_chrome_preview", None)
    if preview is not None:  # the admin's preview of a page not kept yet
        request.eloket_chrome = preview  # type: ignore[attr-defined]
        return preview
    match = getattr(request, "resolver_match", None)
    if match is not None and (
        match.namespace in NO_CHROME_NAMESPACES or (match.url_name or "").startswith("officer")
    ):
        return None
    parts = chrome_parts(tenant.pk)
    request.eloket_chrome = parts  # type: ignore[attr-defined]
    return parts


def host_chrome_scripts(request: HttpRequest) -> tuple[str, ...]:
    """The host's own scripts, where the administrator chose to keep them: only under the
    municipality's own host name, never on log-in, one's own data or officers' pages."""
    parts: ChromeParts | None = getattr(request, "eloket_chrome", None)
    match = getattr(request, "resolver_match", None)
    if (
        parts is None
        or not parts.keep_scripts
        or not parts.scripts
        or not getattr(request, "tenant_by_host", False)
        or match is None
        or match.namespace in NO_SCRIPT_NAMESPACES
        or "login" in (match.url_name or "")
    ):
        return ()
    request.eloket_chrome_scripts = parts.scripts  # type: ignore[attr-defined]
    return parts.scripts


class CsrfInput:
    """The CSRF form field, made on first use and then reused for the whole page.

    Django's own `csrf_input` is lazy but evaluated anew at every use, each time masking
    the token with 32 fresh random characters; a topic page with a form per opinion spent
    a tenth of its time there. One field per page is as safe: the mask only hides the
    secret from compression side channels (BREACH), and it still changes per response.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.value: SafeString | None = None

    def __html__(self) -> SafeString:
        if self.value is None:
            self.value = format_html(
                '<input type="hidden" name="csrfmiddlewaretoken" value="{}">',
                get_token(self.request),
            )
        return self.value

    __str__ = __html__


def _is_officer_here(request: HttpRequest, tenant: Any) -> bool:
    from eloket.identity.selectors import shows_officer_link

    return tenant is not None and shows_officer_link(request, tenant)
