"""The demo identity provider's own page: pick a fictitious resident (demo mode only)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from eloket.common.nocache import never_cache
from eloket.demo.services import demo_citizen_list
from eloket.identity.providers import demo_idp
from eloket.register.national_ids import InvalidNationalId, normalise, parse_belgian, parse_korean
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_list


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only back to this provider's authorization endpoint.
    return target if target.startswith("/oidc/authorize/") else ""


def _ui_language(next_url: str) -> str | None:
    """The language the relying party asked for (`ui_locales` in the authorization URL)."""
    if "ui_locales=" not in next_url:
        return None
    asked = next_url.split("ui_locales=", 1)[1].split("&", 1)[0].split("+", 1)[0]
    return asked if asked in {code for code, _name in settings.LANGUAGES} else None


def number_error(raw: str) -> str:
    """Why a typed identifier cannot be vouched for, or "" when it is a valid Belgian
    national (or BIS) number or Korean resident registration number."""
    number = normalise(raw)
    if not number.isdigit() or len(number) not in (11, 13):
        return _("Type 11 digits (Belgium) or 13 digits (Korea).")
    try:
        (parse_belgian if len(number) == 11 else parse_korean)(number)
    except InvalidNationalId as exc:
        return str(exc)
    return ""


@require_http_methods(["GET", "POST"])
@never_cache
def pick(request: HttpRequest) -> HttpResponse:
    demo_idp.demo_only()
    next_url = _next_url(request)
    language = _ui_language(next_url) or translation.get_language()
    with translation.override(language):
        return _pick(request, next_url)


def _pick(request: HttpRequest, next_url: str) -> HttpResponse:
    error, typed = "", ""
    if request.method == "POST" and next_url:
        typed = request.POST.get("national_id", "")[:40]
        error = number_error(typed)
        if not error:
            given, family = request.POST.get("given_name", ""), request.POST.get("family_name", "")
            user = demo_idp.demo_idp_account(
                national_id=normalise(typed),
                given_name=given or "Demo",
                family_name=family or "Person",
            )
            demo_idp.remember_pick(request, user)
            return HttpResponseRedirect(next_url)
    slug = ""
    if next_url and "demo_municipality=" in next_url:
        slug = next_url.split("demo_municipality=", 1)[1].split("&", 1)[0]
    municipality = Municipality.objects.filter(slug=slug).first() if slug else None
    municipality = municipality or municipality_list().first()
    citizens = demo_citizen_list(municipality) if municipality else []
    return render(
        request,
        "identity/demo_idp_pick.html",
        {
            "next": next_url,
            "citizens": citizens,
            "municipality": municipality,
            "error": error,
            "typed": typed,
        },
        status=400 if error else 200,
    )
