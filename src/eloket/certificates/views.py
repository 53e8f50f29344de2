"""Citizens' pages: order a certificate (choose, review, confirm), follow an order (its
timeline, messages, download), list one's orders. Thin: the services decide."""

import secrets
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from eloket.cases.display import timeline_rows
from eloket.certificates import services
from eloket.certificates.eligibility import asks_national_register, orderable_subjects
from eloket.certificates.handler import OrderStatus
from eloket.certificates.models import Delivery, Requester
from eloket.certificates.selectors import (
    OrderRow,
    certificate_type_get,
    document_of,
    document_opened,
    offered_channels,
    order_for_requester,
    order_history,
    order_row_for_requester,
)
from eloket.common.errors import ApplicationError
from eloket.common.money import format_fee
from eloket.common.nocache import never_cache
from eloket.common.pagecache import cached_page, page_key, page_store, without_messages
from eloket.identity.selectors import citizen_actor_of, citizen_person, shows_officer_link
from eloket.tenants.chrome import chrome_version
from eloket.tenants.decorators import tenant_page
from eloket.tenants.links import link_base, tenant_reverse
from eloket.tenants.models import Module, Municipality

DOCUMENT_READY = (OrderStatus.ISSUED, OrderStatus.DELIVERED)

LANGUAGE_NAMES = dict(settings.LANGUAGES)


def _login_redirect(request: HttpRequest) -> HttpResponse:
    login = tenant_reverse(request, "identity:login")
    return HttpResponseRedirect(f"{login}?next={request.get_full_path()}")


def pdf_response(document: Any) -> HttpResponse:
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{document.kind}-{document.display_code}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@tenant_page(module=Module.CERTIFICATES)
@require_http_methods(["GET", "POST"])
@never_cache
def order_form(request: HttpRequest, tenant: Municipality, kind: str) -> HttpResponse:
    """Step 1: choose whom, language, delivery, purpose. Step 2: review and confirm."""
    try:
        certificate_type = certificate_type_get(municipality=tenant, code=kind)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    if not request.user.is_authenticated:
        return _login_redirect(request)
    requester = citizen_person(request.user)
    actor = citizen_actor_of(request.user)
    if requester is None or actor is None:
        raise Http404(_("Certificates are ordered by citizens logged in with their eID."))
    subjects = orderable_subjects(certificate_type=certificate_type, requester=requester)
    by_pk = {str(person.pk): person for person, _rule in subjects}
    # A relative no register here holds (a parent who died elsewhere): by their national
    # number, asked of the national register (in the form's body, never the URL).
    national = asks_national_register(certificate_type)
    values = {
        "subject": request.POST.get("subject")
        or (str(requester.pk) if str(requester.pk) in by_pk else ""),
        "language": request.POST.get("language")
        or (
            request.LANGUAGE_CODE
            if request.LANGUAGE_CODE in certificate_type.languages
            else certificate_type.languages[0]
        ),
        "delivery": request.POST.get("delivery")
        or next(iter(offered_channels(municipality=tenant, certificate_type=certificate_type)), ""),
        "subject_number": request.POST.get("subject_number", "").strip()[:20] if national else "",
        "purpose": request.POST.get("purpose", "").strip(),
        "email": request.POST.get("email", request.user.email or "").strip(),
        "form_token": request.POST.get("form_token") or secrets.token_urlsafe(16),
    }
    error = None
    step = "choose"
    subject_name = ""
    if request.method == "POST":
        subject = by_pk.get(values["subject"])
        try:
            if national and values["subject"] == "other":
                if not values["subject_number"]:
                    raise ApplicationError(
                        _("Give the national number of the person the certificate is about."),
                        code="subject_required",
                    )
                number = values["subject_number"]
            elif subject is None:
                raise ApplicationError(
                    _("Choose for whom you order the certificate."), code="subject_required"
                )
            else:
                number = subject.national_id
            order_request = services.OrderRequest(
                certificate_type=certificate_type.code,
                subject=number,
                language=values["language"],
                delivery=values["delivery"],
                purpose=values["purpose"],
                contact_email=values["email"],
            )
            if request.POST.get("action") == "confirm":
                case, _created = services.order_submit(
                    actor=actor,
                    municipality=tenant,
                    order_request=order_request,
                    idempotency_key=f"form:{values['form_token']}",
                )
                return HttpResponseRedirect(
                    tenant_reverse(request, "certificates:order", code=case.tracking_code)
                )
            _type, checked = services.check_order(
                actor=actor, municipality=tenant, order_request=order_request
            )
            subject_name = checked.full_name
            step = "review"
        except ApplicationError as exc:
            error = exc
    rules = {str(person.pk): str(Requester(rule).label) for person, rule in subjects}
    return render(
        request,
        "certificates/order_form.html",
        {
            "certificate_type": certificate_type,
            "fee": format_fee(certificate_type.fee_cents, certificate_type.currency),
            "subjects": [(str(p.pk), p, rules[str(p.pk)]) for p, _r in subjects],
            "subject_name": subject_name,
            "national": national,
            "languages": [
                (code, LANGUAGE_NAMES.get(code, code)) for code in certificate_type.languages
            ],
            "deliveries": [
                (code, Delivery(code).label)
                for code in offered_channels(municipality=tenant, certificate_type=certificate_type)
            ],
            "values": values,
            "step": step,
            "error": error,
            "active": "catalogue",
        },
        status=error.status if error else 200,
    )


@tenant_page(module=Module.CERTIFICATES)
@require_GET
@never_cache
def order_page(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    try:
        row = order_row_for_requester(municipality=tenant, user=request.user, tracking_code=code)
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    key = _page_key(request, tenant, row) if without_messages(request) else None
    if key is not None and (cached := cached_page(request, key)) is not None:
        return cached
    case, order = row.models()
    document = (
        document_of(municipality=tenant, case=case) if case.status in DOCUMENT_READY else None
    )
    history, thread = order_history(municipality=tenant, case=case)
    response = render(
        request,
        "certificates/order.html",
        {
            "case": case,
            "order": order,
            "steps": timeline_rows(history, case),
            "thread": thread,
            "document": document,
            "is_open": case.is_open,
            "fee": format_fee(order.fee_cents, order.currency),
            "active": "my",
        },
    )
    if key is not None:
        page_store(request, key, response, timeout=ORDER_PAGE_SECONDS)
    return response


# The requester's page of an order, kept in the shared cache for a short while under
# everything it shows (common/pagecache.py; issue 11, point 11): the rows the one read of
# `order_for_requester` brings, with the newest step, message and document of the case,
# the requester, whether the navigation leads them to a back office, and what texts and
# links depend on. It is served only after that read found the order to be theirs. A
# flash message waiting (after a reply, a cancellation) makes the page anew.
ORDER_PAGE_SECONDS = 120


def _page_key(request: HttpRequest, tenant: Municipality, row: OrderRow) -> str:
    urlconf, prefix = link_base(request)
    return page_key(
        f"order-page:{tenant.pk}:{row.case_pk}",
        row.values,
        request.user.pk,
        shows_officer_link(request, tenant),
        tenant.updated_at.timestamp(),
        chrome_version(tenant.pk),
        request.get_full_path(),
        get_language(),
        timezone.get_current_timezone_name(),
        timezone.localdate(),
        urlconf,
        prefix,
        getattr(request, "tenant_by_host", False),
    )


@tenant_page(module=Module.CERTIFICATES)
@require_POST
def order_action(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    try:
        case, _order = order_for_requester(
            municipality=tenant,
            user=request.user,
            tracking_code=code,
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    actor = citizen_actor_of(request.user)
    try:
        if actor is None:
            raise ApplicationError(_("This is for citizens logged in with their eID."))
        action = request.POST.get("action", "")
        if action == "cancel":
            services.order_cancel(actor=actor, municipality=tenant, case=case)
            messages.success(request, _("Your request was cancelled."))
        elif action != "reply":  # never take an unknown action for a message
            raise ApplicationError(_("This is not something you can do here."))
        else:
            services.order_reply(
                actor=actor, municipality=tenant, case=case, text=request.POST.get("text", "")
            )
            messages.success(request, _("Your message was sent."))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return HttpResponseRedirect(
        tenant_reverse(request, "certificates:order", code=case.tracking_code)
    )


@tenant_page(module=Module.CERTIFICATES)
@require_GET
def order_download(request: HttpRequest, tenant: Municipality, code: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return _login_redirect(request)
    try:
        case, _order = order_for_requester(
            municipality=tenant,
            user=request.user,
            tracking_code=code,
        )
    except ApplicationError as exc:
        raise Http404(str(exc)) from exc
    actor = citizen_actor_of(request.user)
    if actor is None:
        raise Http404(_("The document is not ready yet."))
    document = document_opened(municipality=tenant, actor=actor, case=case)
    if document is None or case.status not in DOCUMENT_READY:
        raise Http404(_("The document is not ready yet."))
    return pdf_response(document)


@tenant_page(module=Module.CERTIFICATES)
@require_GET
def my_orders(request: HttpRequest, tenant: Municipality) -> HttpResponse:
    """The old address of "My requests", which now lists requests of every kind."""
    return HttpResponseRedirect(tenant_reverse(request, "cases:my-requests"))
