"""The back office's front page and looking up a person. The other screens live in
modules of their own (requests and orders, petitions, the outbox, the forum). They hold
no domain logic: they call the services and selectors, which check the actor's right on
the municipality and write the access log."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from eloket.cases.selectors import handled_types, open_counts_by_kind
from eloket.certificates.selectors import postal_orders_pending, queue_counts
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.nocache import never_cache
from eloket.identity.access import officer_page
from eloket.identity.selectors import role_label
from eloket.messaging.services import national_person_lookup
from eloket.outbox.selectors import outbox_trouble
from eloket.register.selectors import person_record
from eloket.tenants.models import Module, Municipality
from eloket.tenants.modules import modules_on


@require_GET
@never_cache
@officer_page()
def home(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    open_counts = open_counts_by_kind(municipality=tenant, actor=actor)
    modules = modules_on(tenant)
    certificates = Module.CERTIFICATES in modules
    return render(
        request,
        "backoffice/home.html",
        {
            "actor": actor,
            "role": role_label(actor.role),
            "role_code": actor.role,
            "modules": modules,
            "counts": queue_counts(municipality=tenant, actor=actor) if certificates else {},
            "kinds": [
                (case_type, open_counts.get(case_type.code, 0))
                # Only the kinds this officer handles: another department's are not theirs.
                for case_type in handled_types(municipality=tenant, actor=actor).filter(
                    current=True
                )
            ],
            "postal": (
                postal_orders_pending(municipality=tenant, actor=actor).count()
                if certificates
                else 0
            ),
            "trouble": outbox_trouble(municipality=tenant, actor=actor).count(),
            "active": "backoffice",
        },
    )


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def person_lookup(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    """Open a person's record outside a case: the officer states why, and the person
    will read that reason in "Who consulted my data". Someone the register does not hold
    may be asked of the national register (shown, never copied into the register)."""
    record = national = None
    error: ApplicationError | None = None
    not_here = asked_nationally = False
    national_id = request.POST.get("national_id", "")
    purpose = request.POST.get("purpose", "")
    if request.method == "POST":
        try:
            if request.POST.get("source") == "national":
                asked_nationally = True
                national = national_person_lookup(
                    actor=actor, municipality=tenant, national_id=national_id, purpose=purpose
                )
            else:
                record = person_record(
                    municipality=tenant, national_id=national_id, actor=actor, purpose=purpose
                )
        except NotFound as exc:
            error, not_here = exc, True
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "backoffice/person.html",
        {
            "record": record,
            "national": national,
            "asked_nationally": asked_nationally and error is None,
            "not_here": not_here,
            "error": error,
            "national_id": national_id,
            "purpose": purpose,
            "active": "backoffice",
        },
        status=error.status if error else 200,
    )
