from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.safestring import SafeString

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
    }


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
