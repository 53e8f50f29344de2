"""Officers' screens of requests: the list of every kind they may handle, the generic
page of a request (its type's actions as buttons), and certificate orders with their
subject's register data, decisions, documents and the postal batch."""

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.attachments.selectors import attachments_of_case
from eloket.cases.display import case_path, timeline_rows
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case
from eloket.cases.rights import may_make
from eloket.cases.selectors import (
    case_for_officer,
    case_types_of,
    cases_of_municipality,
    messages_of,
    timeline,
)
from eloket.cases.services import case_act, case_assign, case_message_add
from eloket.certificates import services as certificates
from eloket.certificates.models import CertificateKind
from eloket.certificates.selectors import (
    document_opened,
    documents_of_case,
    order_for_officer,
    order_queue,
    order_review_warnings,
    order_with_subject_record,
    postal_orders_pending,
)
from eloket.certificates.views import pdf_response
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.forms import id_of
from eloket.common.permissions import Permission, may
from eloket.common.uploads import upload_limit
from eloket.documents.models import IssuedDocument
from eloket.documents.services import document_revoke
from eloket.identity.access import officer_page
from eloket.identity.models import OfficerRole
from eloket.outbox.kinds import outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.outbox.selectors import outbox_messages
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Module, Municipality

AGE_FILTERS = {"": None, "2": 2, "5": 5, "10": 10}


def _age(request: HttpRequest) -> int | None:
    return AGE_FILTERS.get(request.GET.get("age", ""))


def _colleagues(tenant: Municipality) -> list[User]:
    return [
        role.user
        for role in OfficerRole.objects.filter(municipality=tenant, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name")
    ]


def _officer_case(tenant: Municipality, actor: Actor, code: str) -> Case:
    try:
        return case_for_officer(municipality=tenant, actor=actor, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


# --- Every kind of request


@require_GET
@never_cache
@officer_page()
def requests(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    kind = request.GET.get("kind", "")
    status = request.GET.get("status", "open")
    queue = cases_of_municipality(
        municipality=tenant,
        actor=actor,
        kinds=[kind] if kind else None,
        open_only=status == "open",
        older_than_days=_age(request),
        assigned_to=request.user if request.GET.get("mine") == "1" else None,  # type: ignore[arg-type]
    ).order_by("due_at")
    home = tenant_reverse(request, "web:home")
    return render(
        request,
        "backoffice/requests.html",
        {
            "rows": [(case, home + case_path(case, officer=True)) for case in queue[:200]],
            "kinds": [(t.code, t.name()) for t in case_types_of(municipality=tenant)],
            "filters": {
                "kind": kind,
                "status": status,
                "age": request.GET.get("age", ""),
                "mine": request.GET.get("mine") == "1",
            },
            "active": "backoffice",
        },
    )


def _described(message: OutboxMessage) -> str:
    kind = outbox_kinds.get(message.kind)
    return kind.describe(message) if kind else message.kind


def case_context(request: HttpRequest, tenant: Municipality, actor: Actor, case: Case) -> dict:
    return {
        "case": case,
        "steps": timeline_rows(list(timeline(municipality=tenant, case=case)), case),
        "show_actor": True,
        "thread": list(messages_of(municipality=tenant, case=case).prefetch_related("attachments")),
        "files": list(attachments_of_case(municipality=tenant, case=case).filter(message=None)),
        "message_files": case_handlers[case.case_type.handler].file_rules(case, ""),
        "is_open": case.is_open,
        "can_assign": may(actor, tenant, Permission.CASE_ASSIGN),
        "colleagues": _colleagues(tenant),
        "outbox": [
            (message, _described(message))
            for message in outbox_messages(municipality=tenant, ref=f"case:{case.tracking_code}")
        ],
        "can_retry": may(actor, tenant, Permission.OUTBOX_RETRY),
        "active": "backoffice",
    }


@require_GET
@never_cache
@officer_page()
def request_detail(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    case = _officer_case(tenant, actor, code)
    path = case_path(case, officer=True)
    if path != f"backoffice/requests/{case.tracking_code}":  # the kind has its own page
        return HttpResponseRedirect(tenant_reverse(request, "web:home") + path)
    actions = [
        t
        for t in case.case_type.spec.transitions_from(case.status)
        if may_make(actor, tenant, case, t)
    ]
    return render(
        request,
        "backoffice/request.html",
        {**case_context(request, tenant, actor, case), "actions": actions},
    )


def _common_action(
    request: HttpRequest, tenant: Municipality, actor: Actor, case: Case, action: str
) -> bool:
    """Messages and assignment, the same for every kind. False for any other action."""
    if action == "message":
        case_message_add(
            actor=actor,
            municipality=tenant,
            case=case,
            text=request.POST.get("text", ""),
            files=request.FILES.getlist("files"),
        )
        messages.success(request, _("Your message was sent."))
    elif action == "claim":
        case_assign(actor=actor, municipality=tenant, case=case)
        messages.success(request, _("You handle this request now."))
    elif action == "assign":
        assignee = User.objects.filter(pk=id_of(request.POST.get("assignee"))).first()
        if assignee is None:
            raise ApplicationError(_("Choose a colleague."))
        case_assign(actor=actor, municipality=tenant, case=case, assignee=assignee)
        messages.success(request, _("The request was assigned."))
    else:
        return False
    return True


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@require_POST
@officer_page()
def request_act(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    case = _officer_case(tenant, actor, code)
    action = request.POST.get("action", "")
    try:
        if not _common_action(request, tenant, actor, case, action):
            case_act(
                actor=actor,
                municipality=tenant,
                case=case,
                action=action,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("Done: the citizen is told."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(tenant_reverse(request, "web:home") + case_path(case, officer=True))


# --- Certificate orders


@officer_page(module=Module.CERTIFICATES)
@require_GET
@never_cache
def orders(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    status = request.GET.get("status", "open")
    kind = request.GET.get("type", "")
    mine = request.GET.get("mine") == "1"
    queue = order_queue(
        municipality=tenant,
        actor=actor,
        status="" if status in ("open", "all") else status,
        certificate_type=kind,
        older_than_days=_age(request),
        mine=request.user if mine else None,  # type: ignore[arg-type]
        open_only=status == "open",
    )
    cases = list(queue[:200])
    statuses = cases[0].case_type.spec.statuses if cases else {}
    return render(
        request,
        "backoffice/orders.html",
        {
            "rows": [(case, case.is_overdue) for case in cases],
            "filters": {
                "status": status,
                "type": kind,
                "age": request.GET.get("age", ""),
                "mine": mine,
            },
            "statuses": [(code, cases[0].case_type.status_name(code)) for code in statuses],
            "kinds": CertificateKind.choices,
            "active": "backoffice",
        },
    )


@officer_page(module=Module.CERTIFICATES)
@require_GET
@never_cache
def order_detail(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    try:
        case, order, record = order_with_subject_record(
            municipality=tenant, actor=actor, tracking_code=code
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    return render(
        request,
        "backoffice/order.html",
        {
            **case_context(request, tenant, actor, case),
            "order": order,
            "record": record,
            "documents": list(documents_of_case(municipality=tenant, case=case)),
            "overdue": case.is_overdue,
            "warnings": order_review_warnings(municipality=tenant, order=order, record=record)
            if case.is_open
            else [],
        },
    )


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@officer_page(module=Module.CERTIFICATES)
@require_POST
def order_act(request: HttpRequest, tenant: Municipality, actor: Actor, code: str) -> HttpResponse:
    try:
        case, _order = order_for_officer(municipality=tenant, actor=actor, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    action = request.POST.get("action", "")
    try:
        if action in certificates.Decision.ALL:
            certificates.order_decide(
                actor=actor,
                municipality=tenant,
                case=case,
                decision=action,
                reason=request.POST.get("reason", ""),
                warnings_confirmed=request.POST.get("confirm_warnings") == "yes",
            )
            messages.success(request, _("Done: the citizen is told."))
        elif action == "revoke":
            document = IssuedDocument.objects.filter(
                municipality=tenant, case=case, code=request.POST.get("document", "")
            ).first()
            if document is None:
                raise NotFound(_("No such document."))
            document_revoke(
                actor=actor,
                municipality=tenant,
                document=document,
                reason=request.POST.get("reason", ""),
            )
            messages.success(request, _("The document is revoked: verification now says so."))
        elif not _common_action(request, tenant, actor, case, action):
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(
        tenant_reverse(request, "backoffice:order", code=case.tracking_code)
    )


@officer_page(module=Module.CERTIFICATES)
@require_GET
def order_document(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    try:
        case, _order = order_for_officer(municipality=tenant, actor=actor, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    document = document_opened(municipality=tenant, actor=actor, case=case)
    if document is None:
        raise Http404(_("No document was made for this order."))
    return pdf_response(document)


@officer_page(module=Module.CERTIFICATES)
@require_http_methods(["GET", "POST"])
@never_cache
def postal(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    if request.method == "POST":
        try:
            if request.POST.get("action") == "print":
                pdf, codes = certificates.postal_batch(actor=actor, municipality=tenant)
                response = HttpResponse(pdf, content_type="application/pdf")
                response["Content-Disposition"] = (
                    f'attachment; filename="post-{tenant.slug}-{len(codes)}.pdf"'
                )
                response["Cache-Control"] = "private, no-store"
                return response
            count = certificates.postal_mark_sent(
                actor=actor, municipality=tenant, codes=request.POST.getlist("code")
            )
            messages.success(request, _("%(n)d orders marked as posted.") % {"n": count})
        except ApplicationError as exc:
            messages.error(request, str(exc))
        return HttpResponseRedirect(request.path)
    return render(
        request,
        "backoffice/postal.html",
        {
            "pending": list(postal_orders_pending(municipality=tenant, actor=actor)),
            "active": "backoffice",
        },
    )
