"""The public notice of a municipality's permit applications under public inquiry, and
objecting to one. Thin: the services decide."""

from typing import cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from eloket.attachments.views import file_response
from eloket.common.errors import ApplicationError
from eloket.common.nocache import never_cache
from eloket.common.uploads import upload_limit
from eloket.documents.models import IssuedDocument
from eloket.documents.views import document_download
from eloket.identity.eligibility import participant_actor
from eloket.inquiries import selectors, services
from eloket.inquiries.models import PublicInquiry
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import tenant_reverse
from eloket.tenants.models import Municipality


def _inquiry(tenant: Municipality, inquiry_id: int) -> PublicInquiry:
    try:
        return selectors.inquiry_get(municipality=tenant, inquiry_id=inquiry_id)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc


@tenant_page
@require_GET
def inquiries(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    return render(
        request,
        "inquiries/list.html",
        {"inquiries": selectors.inquiries_current(municipality=tenant), "active": "inquiries"},
    )


@tenant_page
@require_GET
@never_cache
def inquiry_page(request: HttpRequest, tenant: Municipality, inquiry_id: int) -> HttpResponse:
    inquiry = _inquiry(tenant, inquiry_id)
    return render(
        request,
        "inquiries/notice.html",
        {
            "inquiry": inquiry,
            "is_open": inquiry.is_open(),
            "mine": selectors.own_objection(
                municipality=tenant, inquiry=inquiry, user=request.user
            ),
            "standing": selectors.standing_objections(municipality=tenant, inquiry=inquiry).count(),
            "documents": selectors.notice_documents(municipality=tenant, inquiry=inquiry),
            "file_rules": services.OBJECTION_FILE_RULES,
            "active": "inquiries",
        },
    )


@upload_limit("ELOKET_ATTACHMENTS_UPLOAD_MAX_BYTES")
@tenant_page
@require_POST
def inquiry_act(request: HttpRequest, tenant: Municipality, inquiry_id: int) -> HttpResponse:
    inquiry = _inquiry(tenant, inquiry_id)
    action = request.POST.get("action", "")
    try:
        actor = participant_actor(request.user)
        if action == "object":
            services.objection_submit(
                actor=actor,
                municipality=tenant,
                inquiry=inquiry,
                text=request.POST.get("text", ""),
                named=request.POST.get("named") == "yes",
                files=request.FILES.getlist("files"),
            )
            messages.success(
                request, _("Your objection is registered. Download its receipt below.")
            )
        elif action == "withdraw":
            mine = selectors.own_objection(municipality=tenant, inquiry=inquiry, user=request.user)
            if mine is None:
                raise ApplicationError(_("You have no objection here to withdraw."))
            services.objection_withdraw(actor=actor, municipality=tenant, objection=mine)
            messages.success(request, _("Your objection is withdrawn."))
        else:
            raise ApplicationError(_("Unknown action."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(
        tenant_reverse(request, "inquiries:inquiry", inquiry_id=inquiry.pk) + "#objection"
    )


@tenant_page
@require_GET
def objection_receipt(request: HttpRequest, tenant: Municipality, inquiry_id: int) -> HttpResponse:
    """The objector's own receipt (anyone else may check it at /verify/ with its code)."""
    inquiry = _inquiry(tenant, inquiry_id)
    mine = selectors.own_objection(municipality=tenant, inquiry=inquiry, user=request.user)
    document = (
        IssuedDocument.objects.filter(municipality=tenant, code=mine.receipt_code).first()
        if mine is not None and mine.receipt_code
        else None
    )
    if document is None:
        raise Http404(_("You have no objection here."))
    return document_download(document)


@tenant_page
@require_GET
def decisions(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    """Decisions on permit applications that had a public inquiry: public, with their
    signed PDFs, for anyone."""
    decisions = list(selectors.decisions_published(municipality=tenant)[:100])
    return render(
        request,
        "inquiries/decisions.html",
        {
            "decisions": [
                (doc, selectors.appeal_ends(municipality=tenant, decision=doc)) for doc in decisions
            ],
            "today": timezone.localdate(),
            "active": "inquiries",
        },
    )


@tenant_page
@require_GET
def decision_pdf(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    try:
        found = selectors.decision_published(municipality=tenant, code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    return document_download(IssuedDocument.objects.get(pk=found.pk))


@tenant_page
@require_GET
def notice_file(
    request: HttpRequest, tenant: Municipality, inquiry_id: int, public_id: str
) -> HttpResponse:
    """A file of the application that the municipality put on the notice, for anyone."""
    inquiry = _inquiry(tenant, inquiry_id)
    try:
        attachment = selectors.notice_document(
            municipality=tenant, inquiry=inquiry, public_id=public_id
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    # A streaming response: the decorators' types know only HttpResponse.
    return cast(HttpResponse, file_response(attachment))
