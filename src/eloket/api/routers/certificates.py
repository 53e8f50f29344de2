"""Certificates: the catalogue, ordering (with Idempotency-Key), following an order and
downloading its document, the officers' queue and decisions, and public verification."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field as F
from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from eloket.api.auth import AUTH
from eloket.api.modules import module_switch
from eloket.api.pagination import PageNumberPagination
from eloket.api.routers.records import record_out
from eloket.api.routers.requests import caller_and_case, case_for_caller
from eloket.api.schemas import (
    BackofficeOrderOut,
    CertificateTypeOut,
    DecisionIn,
    Error,
    OrderIn,
    OrderOut,
    QueueItemOut,
    VerificationOut,
)
from eloket.cases.display import history_text
from eloket.cases.models import Case
from eloket.cases.selectors import messages_of, timeline
from eloket.certificates import services
from eloket.certificates.handler import OrderStatus
from eloket.certificates.models import CertificateOrder
from eloket.certificates.selectors import (
    certificate_types_offered,
    document_of,
    document_opened,
    offered_channels,
    order_for_officer,
    order_of,
    order_queue,
    order_review_warnings,
    order_with_subject_record,
)
from eloket.certificates.views import pdf_response
from eloket.common.errors import NotFound
from eloket.common.money import format_fee
from eloket.common.uploads import read_body
from eloket.documents.codes import verification_url
from eloket.documents.ratelimit import check_rate, check_upload_rate
from eloket.documents.verify import verify_code, verify_pdf
from eloket.identity.access import citizen_actor_for, officer_access
from eloket.tenants.links import municipality_base_url
from eloket.tenants.models import Module
from eloket.tenants.modules import module_check
from eloket.tenants.selectors import municipality_get

DOCUMENT_READY = (OrderStatus.ISSUED, OrderStatus.DELIVERED)

router = Router(tags=["certificates"])
router.add_decorator(module_switch(Module.CERTIFICATES), mode="view")
ERRORS = {401: Error, 403: Error, 404: Error, 422: Error}


def _base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@router.get(
    "/m/{slug}/catalogue",
    response={200: list[CertificateTypeOut], 404: Error, 422: Error},
    summary="The certificates a municipality issues online",
)
def catalogue(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug, module=Module.CERTIFICATES)
    home = municipality_base_url(municipality, platform_base_url=_base(request))
    return [
        {
            "code": t.code,
            "name": t.label,
            "fee_cents": t.fee_cents,
            "currency": t.currency,
            "fee": format_fee(t.fee_cents, t.currency),
            "languages": t.languages,
            "delivery_channels": offered_channels(municipality=municipality, certificate_type=t),
            "requesters": t.requesters,
            "instant": t.instant,
            "processing_days": t.processing_days,
            "order_url": f"{home}certificates/{t.code}/order",
        }
        for t in certificate_types_offered(municipality=municipality)
    ]


def order_out(request: HttpRequest, case: Case, order: CertificateOrder) -> dict[str, Any]:
    municipality = case.municipality
    document = (
        document_of(municipality=municipality, case=case) if case.status in DOCUMENT_READY else None
    )
    home = municipality_base_url(municipality, platform_base_url=_base(request))
    return {
        "tracking_code": case.tracking_code,
        "status": case.status,
        "municipality": case.municipality.slug,
        "certificate_type": order.certificate_type.code,
        "language": order.language,
        "delivery": order.delivery,
        "purpose": order.purpose,
        "fee_cents": order.fee_cents,
        "currency": order.currency,
        "created_at": case.created_at,
        "due_at": case.due_at,
        "url": f"{home}orders/{case.tracking_code}",
        "timeline": [
            {"at": c.at, "status": c.to_status, "text": history_text(c, case), "reason": c.reason}
            for c in timeline(municipality=municipality, case=case)
        ],
        "messages": [
            {"at": m.at, "author": m.author, "text": m.text}
            for m in messages_of(municipality=municipality, case=case)
        ],
        "document": {
            "code": document.display_code,
            "status": document.status,
            "issued_at": document.issued_at,
            "download_url": f"{_base(request)}/api/v1/orders/{case.tracking_code}/document",
            "verify_url": verification_url(document.code),
        }
        if document
        else None,
    }


@router.post(
    "/m/{slug}/orders",
    auth=AUTH,
    response={200: OrderOut, 201: OrderOut, 400: Error, 409: Error, **ERRORS},
    summary="Order a certificate (send an Idempotency-Key header to make retries safe)",
    description=(
        "201 with the new order; 200 with the same order when the Idempotency-Key was "
        "already used for the same request; 409 when it was used for a different one."
    ),
)
def order_create(request: HttpRequest, slug: str, payload: OrderIn) -> Any:
    municipality = municipality_get(slug=slug, module=Module.CERTIFICATES)
    actor = citizen_actor_for(request)
    case, created = services.order_submit(
        actor=actor,
        municipality=municipality,
        order_request=services.OrderRequest(
            certificate_type=payload.certificate_type,
            subject=payload.subject,
            language=payload.language,
            delivery=payload.delivery,
            purpose=payload.purpose,
            contact_email=payload.email,
        ),
        idempotency_key=request.headers.get("Idempotency-Key", ""),
    )
    case.refresh_from_db()
    return Status(
        201 if created else 200,
        order_out(request, case, order_of(municipality=municipality, case=case)),
    )


def _order_for_caller(request: HttpRequest, code: str) -> tuple[Case, CertificateOrder]:
    """The order, for its requester or the officers who handle orders; 404 for anyone
    else (whether a code exists is not told)."""
    case = case_for_caller(request, code)
    module_check(case.municipality, Module.CERTIFICATES)
    return case, order_of(municipality=case.municipality, case=case)


@router.get(
    "/orders/{tracking_code}",
    auth=AUTH,
    response={200: OrderOut, **ERRORS},
    summary="An order's status and timeline (its requester or the municipality's officers)",
)
def order_get(request: HttpRequest, tracking_code: str) -> Any:
    case, order = _order_for_caller(request, tracking_code)
    return order_out(request, case, order)


@router.get(
    "/orders/{tracking_code}/document",
    auth=AUTH,
    response={200: None, **ERRORS},
    summary="The sealed PDF of an issued order",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The PDF",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def order_document(request: HttpRequest, tracking_code: str) -> HttpResponse:
    actor, case = caller_and_case(request, tracking_code)
    module_check(case.municipality, Module.CERTIFICATES)
    document = (
        document_opened(municipality=case.municipality, actor=actor, case=case)
        if case.status in DOCUMENT_READY
        else None
    )
    if document is None:
        raise NotFound(_("The document is not ready yet."))
    return pdf_response(document)


class QueueQuery(Schema):
    status: str = F("", max_length=20, description="A status, or empty for all.")
    certificate_type: str = F("", max_length=40)
    older_than_days: int | None = F(None, ge=0, le=3650)


@router.get(
    "/m/{slug}/backoffice/orders",
    auth=AUTH,
    response={200: list[QueueItemOut], **ERRORS},
    summary="The municipality's queue of certificate orders (its officers)",
)
@paginate(PageNumberPagination)
def queue(request: HttpRequest, slug: str, query: Query[QueueQuery]) -> Any:
    municipality = municipality_get(slug=slug, module=Module.CERTIFICATES)
    actor = officer_access(request, municipality)
    cases = order_queue(
        municipality=municipality,
        actor=actor,
        status=query.status,
        certificate_type=query.certificate_type,
        older_than_days=query.older_than_days,
    )
    return [
        {
            "tracking_code": c.tracking_code,
            "status": c.status,
            "certificate_type": c.order.certificate_type.code,
            "created_at": c.created_at,
            "due_at": c.due_at,
            "overdue": c.is_overdue,
            "assigned_to": c.assigned_to.username if c.assigned_to else None,
        }
        for c in cases
    ]


def backoffice_order_out(request: HttpRequest, slug: str, tracking_code: str) -> dict[str, Any]:
    municipality = municipality_get(slug=slug, module=Module.CERTIFICATES)
    actor = officer_access(request, municipality)
    case, order, record = order_with_subject_record(
        municipality=municipality, actor=actor, tracking_code=tracking_code
    )
    return {
        **order_out(request, case, order),
        "subject": record_out(record) if record is not None else None,
        "national_subject": {k: str(v) for k, v in order.national_subject.items()}
        if record is None
        else None,
        "requester": case.requester.get_full_name(),
        "assigned_to": case.assigned_to.username if case.assigned_to else None,
        "overdue": case.is_overdue,
        "warnings": order_review_warnings(municipality=municipality, order=order, record=record)
        if case.is_open
        else [],
    }


@router.get(
    "/m/{slug}/backoffice/orders/{tracking_code}",
    auth=AUTH,
    response={200: BackofficeOrderOut, **ERRORS},
    summary="An order with the subject's register data (written to the access log)",
)
def backoffice_order(request: HttpRequest, slug: str, tracking_code: str) -> Any:
    return backoffice_order_out(request, slug, tracking_code)


@router.post(
    "/m/{slug}/backoffice/orders/{tracking_code}/decision",
    auth=AUTH,
    response={200: OrderOut, 400: Error, 409: Error, **ERRORS},
    summary="Approve (and issue), reject, or ask the citizen for information",
)
def decide(request: HttpRequest, slug: str, tracking_code: str, payload: DecisionIn) -> Any:
    municipality = municipality_get(slug=slug, module=Module.CERTIFICATES)
    actor = officer_access(request, municipality)
    case, order = order_for_officer(
        municipality=municipality, actor=actor, tracking_code=tracking_code
    )
    services.order_decide(
        actor=actor,
        municipality=municipality,
        case=case,
        decision=payload.decision,
        reason=payload.reason,
        warnings_confirmed=payload.confirm_warnings,
    )
    case.refresh_from_db()
    return order_out(request, case, order)


@router.get(
    "/verify/{document_code}",
    response={200: VerificationOut, 429: Error, 422: Error},
    summary="Verify a document by its code (anyone; rate-limited)",
)
def verify_by_code(request: HttpRequest, document_code: str) -> Any:
    from django.conf import settings

    check_rate(request, scope="verify", limit=settings.ELOKET_VERIFY_RATE)
    return verify_code(document_code).as_dict()


@router.post(
    "/verify",
    response={200: VerificationOut, 400: Error, 413: Error, 422: Error, 429: Error},
    summary="Verify a PDF (sent as the request body, or as the multipart field 'document'; rate-limited)",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"document": {"type": "string", "format": "binary"}},
                        "required": ["document"],
                    }
                },
            }
        }
    },
)
def verify_upload(request: HttpRequest) -> Any:
    check_upload_rate(request)  # before the body is read
    if request.content_type == "multipart/form-data":
        # The upload handler has refused a file over ELOKET_UPLOAD_MAX_BYTES already.
        upload = request.FILES.get("document")
        data = upload.read() if upload else b""
    else:
        data = read_body(request)  # Content-Length checked first, never read past the limit
    return verify_pdf(data).as_dict()
