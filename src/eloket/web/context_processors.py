from typing import Any

from django.conf import settings
from django.http import HttpRequest

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
    }


def _is_officer_here(request: HttpRequest, tenant: Any) -> bool:
    from eloket.identity.selectors import officer_role_in

    if tenant is None or not request.user.is_authenticated:
        return False
    return officer_role_in(request.user, tenant) is not None
