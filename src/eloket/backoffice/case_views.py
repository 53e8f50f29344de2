"""Officers' screens of requests: the list of every kind they may handle, the generic
page of a request (its type's actions as buttons), and certificate orders with their
subject's register data, decisions, documents and the postal batch."""

import datetime as dt
from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.approvals.selectors import draft_document_of, open_draft_of
from eloket.attachments.selectors import attachments_of_case
from eloket.attachments.services import attachments_store_answers
from eloket.attachments.views import file_response
from eloket.cases.display import case_path, timeline_rows
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case, CaseType
from eloket.cases.rights import may_make
from eloket.cases.selectors import (
    case_for_officer,
    cases_of_municipality,
    departments_of,
    handled_types,
    messages_of,
    notes_of,
    timeline,
)
from eloket.cases.services import case_act, case_assign, case_message_add, case_note_add
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
from eloket.common.money import format_fee
from eloket.common.nocache import never_cache
from eloket.common.permissions import Permission, may, role_at_least
from eloket.common.uploads import upload_limit
from eloket.documents.access import case_document_opened
from eloket.documents.models import IssuedDocument
from eloket.documents.selectors import case_documents
from eloket.documents.services import document_revoke
from eloket.documents.views import document_download
from eloket.identity.access import officer_page
from eloket.identity.models import OfficerRole
from eloket.inquiries.models import AdviceOutcome
from eloket.inquiries.selectors import (
    advice_of,
    completeness_of,
    inquiry_of_case,
    neighbours_told,
    notice_documents,
    objection_file,
    objection_of_case,
    objections_grouped,
    objections_of,
)
from eloket.inquiries.services import (
    ADVICE_STATUSES,
    advice_record,
    completeness_incomplete,
    neighbour_letters,
    notice_documents_set,
    objection_answer,
    objection_group,
    objections_answer_group,
)
from eloket.outbox.kinds import outbox_kinds
from eloket.outbox.models import OutboxMessage
from eloket.outbox.selectors import outbox_messages
from eloket.services.display import answers_summary
from eloket.services.handler import DECISIONS, OPEN_INQUIRY, form_of
from eloket.services.selectors import HANDLER as SERVICE_HANDLER
from eloket.services.selectors import service_request_of
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


PAGE_SIZE = 25


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ApplicationError(_("Give a day as YYYY-MM-DD."), code="invalid_date") from None


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    return max(1, min(int(raw), 10_000)) if raw.isdigit() else 1


@require_GET
@never_cache
@officer_page()
def requests(request: HttpRequest, tenant: Municipality, actor: Actor) -> HttpResponse:
    """The queue: every kind of request the officer may handle, filtered by department
    (heads and administrators choose; a clerk sees their own department's), service,
    status, age, overdue and "mine"; 25 rows a page, read in one query."""
    sees_all = role_at_least(actor.role, "head")
    handled = list(handled_types(municipality=tenant, actor=actor).filter(current=True))
    departments = departments_of(municipality=tenant) if sees_all else []
    department = request.GET.get("department", "")
    if department not in departments:
        department = ""
    kinds = sorted(
        {t.code: t for t in handled if not department or t.department == department}.values(),
        key=lambda t: t.name().casefold(),
    )
    kind = request.GET.get("kind", "")
    chosen = next((t for t in kinds if t.code == kind), None)
    kind = chosen.code if chosen else ""
    status = request.GET.get("status", "open")
    statuses = list(chosen.spec.statuses) if chosen else []
    if status not in ("open", "all", *statuses):
        status = "open"
    overdue = request.GET.get("overdue") == "1"
    mine = request.GET.get("mine") == "1"
    page = _page_number(request)
    queue = (
        cases_of_municipality(
            municipality=tenant,
            actor=actor,
            kinds=[kind] if kind else None,
            statuses=[status] if status in statuses else None,
            open_only=status == "open",
            older_than_days=_age(request),
            assigned_to=request.user if mine else None,  # type: ignore[arg-type]
            department=department or None,
            overdue=overdue,
        )
        # A certificate order's title names its certificate: read with the row.
        .select_related("order__certificate_type", "order__subject")
        .order_by("due_at", "pk")
    )
    # One more row than shown tells whether there is a next page, without counting.
    cases = list(queue[(page - 1) * PAGE_SIZE : page * PAGE_SIZE + 1])
    has_next = len(cases) > PAGE_SIZE
    cases = cases[:PAGE_SIZE]
    filters = {
        "department": department,
        "kind": kind,
        "status": status,
        "age": request.GET.get("age", "") if _age(request) else "",
        "overdue": overdue,
        "mine": mine,
    }
    query = {k: ("1" if v is True else v) for k, v in filters.items() if v}
    return render(
        request,
        "backoffice/requests.html",
        {
            "rows": [
                (
                    case,
                    tenant_reverse(request, "backoffice:request", code=case.tracking_code),
                    case.is_overdue,
                )
                for case in _sharing_case_types(cases)
            ],
            "kinds": [(t.code, t.name()) for t in kinds],
            "statuses": [(code, chosen.status_name(code)) for code in statuses] if chosen else [],
            "departments": departments,
            "own_department": "" if sees_all else actor.department,
            "filters": filters,
            "page": page,
            "previous_url": f"?{urlencode({**query, 'page': page - 1})}" if page > 1 else "",
            "next_url": f"?{urlencode({**query, 'page': page + 1})}" if has_next else "",
            "can_file": bool(handled),
            "active": "backoffice",
        },
    )


def _sharing_case_types(cases: list[Case]) -> list[Case]:
    """Rows of the same case type share one CaseType object, so that its definition is
    parsed once per page rather than once per row."""
    shared: dict[int, CaseType] = {}
    for case in cases:
        case.case_type = shared.setdefault(case.case_type_id, case.case_type)
    return cases


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
        # Internal: officers' pages only, never the citizen's pages or the API.
        "notes": list(notes_of(municipality=tenant, case=case)),
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
    context = {
        **case_context(request, tenant, actor, case),
        "actions": actions,
        "documents": case_documents(municipality=tenant, case=case),
    }
    if case.case_type.handler == SERVICE_HANDLER:
        context.update(_service_context(tenant, case, actions, context["files"]))
        context["approval"] = open_draft_of(municipality=tenant, case=case)
    return render(request, "backoffice/request.html", context)


def _service_context(tenant: Municipality, case: Case, actions: list, files: list) -> dict:
    """What a service request's page adds: the answers as the version the case was
    made with reads them, how and for whom it was filed, the fee, each file question
    with its files (opened in place), and the three decisions apart from the workflow's
    other steps."""
    record = service_request_of(municipality=tenant, case=case)
    if record is None:
        return {}
    form = form_of(case.case_type)
    language = get_language()
    fee_cents = int(record.fee_amount * 100)
    return {
        "service": record,
        "summary": answers_summary(
            form=form, answers=record.answers, labels=record.labels, language=language
        ),
        "fee": format_fee(fee_cents, record.fee_currency) if fee_cents else "",
        "filed_by": (record.filed_by.get_full_name() or record.filed_by.username)
        if record.filed_by
        else "",
        "file_questions": [
            (f, [a for a in files if a.question == f.name])
            for f in form.fields.values()
            if f.is_file
        ],
        # The form's files are listed under their questions; "Files" keeps the others.
        "files": [a for a in files if a.question not in form.fields],
        "decisions": {t.action: t for t in actions if t.action in DECISIONS},
        # Opening the public inquiry takes the notice's text: a form of its own.
        "open_inquiry": next((t for t in actions if t.action == OPEN_INQUIRY), None),
        "actions": [t for t in actions if t.action not in DECISIONS and t.action != OPEN_INQUIRY],
        **_inquiry_context(tenant, case),
        "completeness": completeness_of(municipality=tenant, case=case),
        **_advice_context(tenant, case),
    }


def _advice_context(tenant: Municipality, case: Case) -> dict:
    if not (case.case_type.options or {}).get("public_inquiry"):
        return {}
    return {
        "advices": list(advice_of(municipality=tenant, case=case)),
        "advice_allowed": case.status in ADVICE_STATUSES,
        "advice_outcomes": AdviceOutcome.choices,
    }


def _inquiry_context(tenant: Municipality, case: Case) -> dict:
    inquiry = inquiry_of_case(municipality=tenant, case=case)
    if inquiry is None:
        return {}
    return {
        "inquiry": inquiry,
        "objections": list(objections_of(municipality=tenant, inquiry=inquiry)),
        "neighbours": neighbours_told(municipality=tenant, inquiry=inquiry),
        "objection_groups": objections_grouped(municipality=tenant, inquiry=inquiry),
        "notice_public": {
            a.public_id for a in notice_documents(municipality=tenant, inquiry=inquiry)
        },
    }


@require_GET
@officer_page()
def request_document(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str, document: str
) -> HttpResponse:
    """A document made for a request (a service's receipt or decision), for the officers
    who may handle the request (of its department), as if absent for the others."""
    case = _officer_case(tenant, actor, code)
    try:
        found = case_document_opened(municipality=tenant, actor=actor, case=case, code=document)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    return document_download(found)


@require_GET
@never_cache
@officer_page()
def request_draft_decision(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    """The draft decision as its approvers sign it, with the signatures made so far:
    what an approver reads before approving. For the officers who may handle the
    request."""
    case = _officer_case(tenant, actor, code)
    found = draft_document_of(municipality=tenant, case=case)
    if found is None:
        raise Http404(_("No draft decision waits on this request."))
    document_code, pdf = found
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="draft-decision-{document_code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
@officer_page()
def request_neighbour_letters(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str
) -> HttpResponse:
    """The letters for the post of the request's public inquiry: one page per
    neighbour told by post. For the officers who may handle the request."""
    case = _officer_case(tenant, actor, code)
    inquiry = inquiry_of_case(municipality=tenant, case=case)
    if inquiry is None:
        raise Http404(_("This request has no public inquiry."))
    try:
        pdf = neighbour_letters(actor=actor, municipality=tenant, inquiry=inquiry)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="letters-{case.display_code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@never_cache
@officer_page()
def request_objection_file(
    request: HttpRequest, tenant: Municipality, actor: Actor, code: str, public_id: str
) -> HttpResponse:
    """A file sent with an objection, for the officers who may handle the request."""
    case = _officer_case(tenant, actor, code)
    inquiry = inquiry_of_case(municipality=tenant, case=case)
    if inquiry is None:
        raise Http404(_("This request has no public inquiry."))
    try:
        found = objection_file(
            municipality=tenant, actor=actor, inquiry=inquiry, public_id=public_id
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    # A streamed file (FileResponse is no HttpResponse to the type checker, as
    # `officer_page` wants; Django serves either).
    return cast("HttpResponse", file_response(found))


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
    elif action == "note":
        case_note_add(
            actor=actor, municipality=tenant, case=case, text=request.POST.get("note", "")
        )
        messages.success(request, _("Your note was added. Only colleagues read it."))
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
        if action == "files":
            stored = attachments_store_answers(
                actor=actor,
                municipality=tenant,
                case=case,
                files={
                    name: request.FILES.getlist(name)
                    for name in request.FILES
                    if request.FILES.getlist(name)
                },
            )
            messages.success(request, _("Files added: %(n)d.") % {"n": len(stored)})
        elif action == "answer_objection":
            objection = objection_of_case(
                municipality=tenant, case=case, objection_id=request.POST.get("objection", "")
            )
            objection_answer(
                actor=actor,
                municipality=tenant,
                objection=objection,
                answer=request.POST.get("answer", ""),
            )
            messages.success(request, _("The answer is kept: the decision publishes it."))
        elif action == "notice_documents":
            inquiry = inquiry_of_case(municipality=tenant, case=case)
            if inquiry is None:
                raise ApplicationError(_("This request has no public inquiry."))
            count = notice_documents_set(
                actor=actor,
                municipality=tenant,
                inquiry=inquiry,
                public_ids=request.POST.getlist("public")[:200],
            )
            messages.success(request, _("The notice shows %(n)d documents.") % {"n": count})
        elif action == "group_objection":
            objection = objection_of_case(
                municipality=tenant, case=case, objection_id=request.POST.get("objection", "")
            )
            objection_group(
                actor=actor,
                municipality=tenant,
                objection=objection,
                group=request.POST.get("group", ""),
            )
            messages.success(request, _("The objection is filed under its group."))
        elif action == "answer_group":
            objections = [
                objection_of_case(municipality=tenant, case=case, objection_id=pk)
                for pk in request.POST.getlist("objection")[:500]
            ]
            count = objections_answer_group(
                actor=actor,
                municipality=tenant,
                objections=objections,
                answer=request.POST.get("answer", ""),
            )
            messages.success(request, _("Objections answered: %(n)d.") % {"n": count})
        elif action == "advice":
            given = request.POST.get("given_on", "").strip()
            advice_record(
                actor=actor,
                municipality=tenant,
                case=case,
                adviser=request.POST.get("adviser", ""),
                outcome=request.POST.get("outcome", ""),
                text=request.POST.get("text", ""),
                given_on=_day(given) if given else None,
            )
            messages.success(request, _("The advice is recorded."))
        elif action == "request_info" and request.POST.get("deadline"):
            # A permit's completeness check with the day the clerk names.
            completeness_incomplete(
                actor=actor,
                municipality=tenant,
                case=case,
                missing=request.POST.get("reason", ""),
                deadline=_day(request.POST.get("deadline", "")),
            )
            messages.success(request, _("Done: the citizen is told."))
        elif not _common_action(request, tenant, actor, case, action):
            case_act(
                actor=actor,
                municipality=tenant,
                case=case,
                action=action,
                reason=request.POST.get("reason", ""),
            )
            if case.is_open and open_draft_of(municipality=tenant, case=case) is not None:
                messages.success(request, _("The draft decision went up the approval chain."))
            else:
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
        elif action == "answer_objection":
            objection = objection_of_case(
                municipality=tenant, case=case, objection_id=request.POST.get("objection", "")
            )
            objection_answer(
                actor=actor,
                municipality=tenant,
                objection=objection,
                answer=request.POST.get("answer", ""),
            )
            messages.success(request, _("The answer is kept: the decision publishes it."))
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
