"""Officer screens. They hold no domain logic: they call other apps' services and
selectors, which check the tenant and write the access log."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.cases.display import history_text
from eloket.cases.models import OPEN_STATUSES, Status
from eloket.cases.selectors import is_overdue, messages_of, timeline
from eloket.certificates import services as certificates
from eloket.certificates.models import CertificateKind
from eloket.certificates.postal import postal_batch, postal_mark_sent
from eloket.certificates.selectors import (
    document_pdf,
    documents_of_case,
    order_for_officer,
    order_queue,
    postal_orders_pending,
    queue_counts,
)
from eloket.certificates.views import pdf_response
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.documents.models import IssuedDocument
from eloket.documents.services import document_revoke
from eloket.identity.access import officer_page
from eloket.identity.models import OfficerRole
from eloket.identity.selectors import role_at_least, role_label
from eloket.register.selectors import person_record
from eloket.tenants.models import Municipality
from eloket.web.links import tenant_reverse


@require_GET
@never_cache
@officer_page()
def home(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    return render(
        request,
        "backoffice/home.html",
        {
            "actor": actor,
            "role": role_label(actor.role),
            "counts": queue_counts(municipality=tenant),
            "postal": postal_orders_pending(municipality=tenant).count(),
            "active": "backoffice",
        },
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


AGE_FILTERS = {"": None, "2": 2, "5": 5, "10": 10}


@require_GET
@never_cache
@officer_page()
def orders(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "open")
    kind = request.GET.get("type", "")
    age = request.GET.get("age", "")
    mine = request.GET.get("mine") == "1"
    queue = order_queue(
        municipality=tenant,
        status="" if status in ("open", "all") else status,
        certificate_type=kind if kind in CertificateKind.values else "",
        older_than_days=AGE_FILTERS.get(age),
        mine=request.user if mine else None,  # type: ignore[arg-type]
    )
    if status == "open":
        queue = queue.filter(status__in=OPEN_STATUSES)
    rows = [(case, is_overdue(case)) for case in queue[:200]]
    return render(
        request,
        "backoffice/orders.html",
        {
            "rows": rows,
            "filters": {"status": status, "type": kind, "age": age, "mine": mine},
            "statuses": Status.choices,
            "kinds": CertificateKind.choices,
            "active": "backoffice",
        },
    )


def _colleagues(tenant: Municipality) -> list[User]:
    return [
        role.user
        for role in OfficerRole.objects.filter(municipality=tenant, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name")
    ]


@require_GET
@never_cache
@officer_page()
def order_detail(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    try:
        case, order = order_for_officer(municipality=tenant, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    # Opening the order shows the subject's register data: logged with the order as purpose.
    record = person_record(
        municipality=tenant,
        national_id=order.subject.national_id,
        actor=actor,
        purpose=_("Handling order %(code)s: %(what)s")
        % {"code": case.display_code, "what": order.certificate_type.label},
        case_ref=f"order:{case.tracking_code}",
    )
    return render(
        request,
        "backoffice/order.html",
        {
            "case": case,
            "order": order,
            "record": record,
            "steps": [(change, history_text(change)) for change in timeline(case)],
            "thread": list(messages_of(case)),
            "documents": list(documents_of_case(case)),
            "is_open": case.status in OPEN_STATUSES,
            "overdue": is_overdue(case),
            "can_assign": role_at_least(actor.role, "head"),
            "colleagues": _colleagues(tenant),
            "active": "backoffice",
        },
    )


@require_POST
@officer_page()
def order_act(request: HttpRequest, tenant: Municipality, actor: Actor, code: str) -> HttpResponse:
    try:
        case, _order = order_for_officer(municipality=tenant, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    action = request.POST.get("action", "")
    try:
        if action in certificates.Decision.ALL:
            certificates.order_decide(
                case=case, actor=actor, decision=action, reason=request.POST.get("reason", "")
            )
            messages.success(request, _("Done: the citizen is told."))
        elif action == "message":
            certificates.order_officer_message(
                case=case, actor=actor, text=request.POST.get("text", "")
            )
            messages.success(request, _("Your message was sent."))
        elif action == "claim":
            certificates.order_claim(case=case, officer=request.user)  # type: ignore[arg-type]
            messages.success(request, _("You handle this order now."))
        elif action == "assign":
            assignee = User.objects.filter(pk=request.POST.get("assignee") or 0).first()
            if assignee is None:
                raise ApplicationError(_("Choose a colleague."))
            certificates.order_claim(case=case, officer=request.user, assignee=assignee)  # type: ignore[arg-type]
            messages.success(request, _("The order was assigned."))
        elif action == "revoke":
            document = IssuedDocument.objects.get(
                municipality=tenant, case=case, code=request.POST.get("document", "")
            )
            document_revoke(
                document=document,
                officer=request.user,  # type: ignore[arg-type]
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The document is revoked: verification now says so."))
        else:
            raise ApplicationError(_("Unknown action."))
    except (ApplicationError, IssuedDocument.DoesNotExist) as exc:
        messages.error(
            request, str(exc) if isinstance(exc, ApplicationError) else _("No such document.")
        )
    return HttpResponseRedirect(
        tenant_reverse(request, "backoffice:order", code=case.tracking_code)
    )


@require_GET
@officer_page()
def order_document(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    try:
        case, _order = order_for_officer(municipality=tenant, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    document = document_pdf(case)
    if document is None:
        raise Http404(_("No document was made for this order."))
    return pdf_response(document)


@require_http_methods(["GET", "POST"])
@never_cache
@officer_page()
def postal(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        if request.POST.get("action") == "print":
            try:
                pdf, codes = postal_batch(municipality=tenant, actor=actor)
            except ApplicationError as exc:
                messages.error(request, str(exc))
                return HttpResponseRedirect(request.path)
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="post-{tenant.slug}-{len(codes)}.pdf"'
            )
            response["Cache-Control"] = "private, no-store"
            return response
        count = postal_mark_sent(
            municipality=tenant, codes=request.POST.getlist("code"), actor=actor
        )
        messages.success(request, _("%(n)d orders marked as posted.") % {"n": count})
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "backoffice/postal.html",
        {"pending": list(postal_orders_pending(municipality=tenant)), "active": "backoffice"},
    )
