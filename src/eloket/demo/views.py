"""The demo identity provider's own page: pick a fictitious resident (demo mode only)."""

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from eloket.demo.services import demo_citizen_list
from eloket.identity.providers import demo_idp
from eloket.register.national_ids import normalise
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_list


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # Only back to this provider's authorization endpoint.
    return target if target.startswith("/oidc/authorize/") else ""


@require_http_methods(["GET", "POST"])
@never_cache
def pick(request: HttpRequest) -> HttpResponse:
    demo_idp.demo_only()
    next_url = _next_url(request)
    error = ""
    if request.method == "POST" and next_url:
        number = normalise(request.POST.get("national_id", ""))
        if not number.isdigit() or len(number) not in (11, 13):
            error = _("Type 11 digits (Belgium) or 13 digits (Korea).")
        else:
            given, family = request.POST.get("given_name", ""), request.POST.get("family_name", "")
            user = demo_idp.demo_idp_account(
                national_id=number, given_name=given or "Demo", family_name=family or "Person"
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
        },
        status=400 if error else 200,
    )
