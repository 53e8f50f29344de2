"""Officer screens. They hold no domain logic: they call other apps' services and
selectors, which check the tenant and write the access log."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.identity.access import officer_page
from eloket.identity.selectors import role_label
from eloket.register.selectors import person_record
from eloket.tenants.models import Municipality


@require_GET
@never_cache
@officer_page()
def home(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    return render(
        request,
        "backoffice/home.html",
        {"actor": actor, "role": role_label(actor.role), "active": "backoffice"},
    )


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def person_lookup(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    """Open a person's record outside a case: the officer states why, and the person
    will read that reason in "Who consulted my data"."""
    record = None
    error = None
    national_id = request.POST.get("national_id", "")
    purpose = request.POST.get("purpose", "")
    if request.method == "POST":
        try:
            record = person_record(
                municipality=tenant, national_id=national_id, actor=actor, purpose=purpose
            )
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "backoffice/person.html",
        {
            "record": record,
            "error": error,
            "national_id": national_id,
            "purpose": purpose,
            "active": "backoffice",
        },
        status=error.status if error else 200,
    )
