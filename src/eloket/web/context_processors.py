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
    }
