"""Citizens' pages of requests of every kind: "My requests" (each with the link its
handler gives), and the generic page of a request (its timeline, messages and the
actions its type lets the requester take). Thin: the services decide."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.cases.display import case_path, case_url, timeline_rows
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case
from eloket.cases.rights import may_make
from eloket.cases.selectors import (
    case_for_requester,
    case_type_citizens_start,
    cases_of_requester,
    messages_of,
    timeline,
)
from eloket.cases.services import case_act, case_message_add, case_request_start
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.common.uploads import upload_limit
from eloket.documents.access import case_document_opened
from eloket.documents.selectors import case_documents
from eloket.documents.views import document_download
from eloket.identity.selectors import citizen_actor_of
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality


def _login_redirect(request: HttpRequest) -> HttpResponse:
    login = tenant_reverse(request, "identity:login")
    return HttpResponseRedirect(f"{login}?next={request.get_full_path()}")


def here(request: HttpRequest, case: Case) -> str:
    """The case's page: a link inside this municipality's pages when it is one of its
    cases, else the absolute address on its own municipality."""
    if case.municipality_id == request.tenant.pk:  # type: ignore[attr-defined]
        return tenant_reverse(request, "web:home") + case_path(case)
    return case_url(case)


@require_GET
@never_cache
@tenant_page
def my_requests(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    if citizen_actor_of(request.user) is None:
        raise Http404(_("This page is for citizens logged in with their eID."))
    cases = list(cases_of_requester(user=request.user)[:100])
    home = tenant_reverse(request, "web:home")
    drafts = [
        {**draft, "url": home + draft["path"], "delete_url": home + draft["delete_path"]}
        for handler in case_handlers
        for draft in handler.drafts(municipality=tenant, user=request.user)
    ]
    return render(
        request,
        "cases/my_requests.html",
        {
            "rows": [(case, here(request, case)) for case in cases],
            "drafts": drafts,
            "active": "my",
            "subpage": "orders",
        },
    )


@require_http_methods(["GET", "POST"])
@never_cache
@tenant_page
def request_start(request: HttpRequest, tenant: Municipality, kind: str) -> HttpResponse:
    """Ask for a kind of request that needs no form of its own: say what you ask."""
    try:
        case_type = case_type_citizens_start(municipality=tenant, code=kind)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    if not request.user.is_authenticated:
        return _login_redirect(request)
    actor = citizen_actor_of(request.user)
    values = {
        "text": request.POST.get("text", ""),
        "email": request.POST.get("email", request.user.email or "").strip(),
    }
    error = ""
    if request.method == "POST":
        try:
            if actor is None:
                raise ApplicationError(_("This is for citizens logged in with their eID."))
            case = case_request_start(
                actor=actor,
                municipality=tenant,
                code=case_type.code,
                text=values["text"],
                contact_email=values["email"],
            )
        except ApplicationError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("Your request was sent. Its tracking code is %(code)s.")
                % {"code": case.display_code},
            )
            return HttpResponseRedirect(here(request, case))
    return render(
        request,
        "cases/ask.html",
        {"case_type": case_type, "values": values, "error": error, "active": "services"},
        status=400 if error else 200,
    )


def _own_case(request: HttpRequest, tenant: Municipality, code: str) -> Case:
    try:
        return case_for_requester(municipality=tenant, user=request.user, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


@require_GET
@never_cache
@tenant_page
def request_page(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    case = _own_case(request, tenant, code)
    path = case_path(case)
    if path != f"requests/{case.tracking_code}":  # the kind has a page of its own
        return HttpResponseRedirect(tenant_reverse(request, "web:home") + path)
    actor = citizen_actor_of(request.user)
    actions = [
        t
        for t in case.case_type.spec.transitions_from(case.status)
        if actor is not None and may_make(actor, tenant, case, t)
    ]
    home = tenant_reverse(request, "web:home")
    handler = case_handlers[case.case_type.handler]
    return render(
        request,
        "cases/request.html",
        {
            "case": case,
            "steps": timeline_rows(list(timeline(municipality=tenant, case=case)), case),
            "thread": list(
                messages_of(municipality=tenant, case=case).prefetch_related("attachments")
            ),
            # The form's files (the thread's are listed under their messages).
            "files": list(case.attachments.filter(message__isnull=True)),
            "message_files": case_handlers[case.case_type.handler].file_rules(case, ""),
            "actions": actions,
            "documents": case_documents(municipality=tenant, case=case),
            "links": [(label, home + path) for label, path in handler.links(case)],
            "facts": handler.facts(case),
            "sections": handler.sections(case),
            "active": "my",
        },
    )


@require_GET
@never_cache
@tenant_page
def request_document(
    request: HttpRequest, tenant: Municipality, code: str, document: str
) -> HttpResponse:
    """A document made for the request (a service's receipt or decision), for its
    requester; officers open it from the back office."""
    if not request.user.is_authenticated:
        return _login_redirect(request)
    case = _own_case(request, tenant, code)
    actor = citizen_actor_of(request.user)
    try:
        if actor is None:
            raise ApplicationError(_("This page is for citizens logged in with their eID."))
        found = case_document_opened(municipality=tenant, actor=actor, case=case, code=document)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    return document_download(found)


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@require_POST
@tenant_page
def request_act(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    case = _own_case(request, tenant, code)
    actor = citizen_actor_of(request.user)
    try:
        if actor is None:
            raise ApplicationError(_("This is for citizens logged in with their eID."))
        action = request.POST.get("action", "")
        text = request.POST.get("text", "").strip()
        files = request.FILES.getlist("files")
        # The message and the step go together, or neither (a refused step keeps no
        # message that says it was taken).
        with transaction.atomic():
            if action == "message" or text or files:  # words typed go along with any button
                case_message_add(
                    actor=actor, municipality=tenant, case=case, text=text, files=files
                )
            if action != "message":
                case_act(
                    actor=actor,
                    municipality=tenant,
                    case=case,
                    action=action,
                    reason=request.POST.get("reason", ""),
                )
        messages.success(
            request, _("Your message was sent.") if action == "message" else _("Done.")
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(here(request, case))
