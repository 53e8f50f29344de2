"""Public inquiries through the API (issue 13, point 6): the municipality's current
inquiries and one of them, for anyone; an objection, for anyone logged in with an eID,
answered with the code of its sealed receipt (which `GET /api/v1/verify/{code}` knows)."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from eloket.api.auth import AUTH
from eloket.api.schemas import Error, FreeText, Id
from eloket.identity.eligibility import participant_actor
from eloket.inquiries import selectors, services
from eloket.inquiries.models import PublicInquiry
from eloket.tenants.links import municipality_base_url
from eloket.tenants.selectors import municipality_get

router = Router(tags=["inquiries"])
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class NoticeDocumentOut(Schema):
    name: str
    url: str = Field(..., description="The file, for anyone.")


class InquiryOut(Schema):
    id: int
    title: str
    location: str
    description: str
    starts_at: Any
    ends_at: Any
    open: bool = Field(..., description="Whether objections are taken now.")
    objections: int = Field(..., description="Objections standing (not withdrawn).")
    url: str = Field(..., description="The public notice's page.")
    documents: list[NoticeDocumentOut] = Field(
        ..., description="The application's files the municipality put on the notice."
    )


class ObjectionIn(Schema):
    text: FreeText = Field(..., max_length=4000)
    named: bool = Field(
        False, strict=True, description="Whether the published decision may name the objector."
    )


class ObjectionOut(Schema):
    id: int
    submitted_at: Any
    named: bool
    receipt_code: str = Field(..., description="The sealed receipt's verification code.")


def inquiry_out(request: HttpRequest, inquiry: PublicInquiry) -> dict[str, Any]:
    home = municipality_base_url(
        inquiry.municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )
    return {
        "id": inquiry.pk,
        "title": inquiry.title,
        "location": inquiry.location,
        "description": inquiry.description,
        "starts_at": inquiry.starts_at,
        "ends_at": inquiry.ends_at,
        "open": inquiry.is_open(),
        "objections": selectors.standing_objections(
            municipality=inquiry.municipality, inquiry=inquiry
        ).count(),
        "url": f"{home}inquiries/{inquiry.pk}",
        "documents": [
            {"name": a.name, "url": f"{home}inquiries/{inquiry.pk}/documents/{a.public_id}"}
            for a in selectors.notice_documents(municipality=inquiry.municipality, inquiry=inquiry)
        ],
    }


@router.get(
    "/m/{slug}/inquiries",
    response={200: list[InquiryOut], 404: Error, 422: Error},
    summary="Current public inquiries (permit applications open to objections)",
)
def inquiries(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug)
    return [
        inquiry_out(request, i)
        for i in selectors.inquiries_current(municipality=municipality).select_related(
            "municipality"
        )[:200]
    ]


@router.get(
    "/m/{slug}/inquiries/{inquiry_id}",
    response={200: InquiryOut, 404: Error, 422: Error},
    summary="A public inquiry (current or past)",
)
def inquiry(request: HttpRequest, slug: str, inquiry_id: Id) -> Any:
    municipality = municipality_get(slug=slug)
    return inquiry_out(
        request, selectors.inquiry_get(municipality=municipality, inquiry_id=inquiry_id)
    )


@router.post(
    "/m/{slug}/inquiries/{inquiry_id}/objections",
    auth=AUTH,
    response={201: ObjectionOut, **ERRORS},
    summary="Object during a public inquiry (logged in with an eID)",
)
def object_to(request: HttpRequest, slug: str, inquiry_id: Id, payload: ObjectionIn) -> Any:
    municipality = municipality_get(slug=slug)
    found = selectors.inquiry_get(municipality=municipality, inquiry_id=inquiry_id)
    objection = services.objection_submit(
        actor=participant_actor(request.user),
        municipality=municipality,
        inquiry=found,
        text=payload.text,
        named=payload.named,
    )
    return Status(
        201,
        {
            "id": objection.pk,
            "submitted_at": objection.submitted_at,
            "named": objection.named,
            "receipt_code": objection.receipt_code,
        },
    )


class DecisionOut(Schema):
    id: str = Field(..., description="The decision document's code.")
    title: str
    outcome: str = Field(..., description="The request's final status: approved or rejected.")
    decided_at: Any
    document_url: str = Field(..., description="The signed and sealed PDF, for anyone.")
    appeal_until: Any = Field(..., description="The last day of the appeal period.")


@router.get(
    "/m/{slug}/decisions",
    response={200: list[DecisionOut], 404: Error, 422: Error},
    summary="Published decisions (on requests that had a public inquiry), newest first",
)
def decisions(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug)
    home = municipality_base_url(
        municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )
    return [
        {
            "id": doc.code,
            "title": f"{doc.case.case_type.name()} {doc.case.display_code}",
            "outcome": doc.case.status,
            "decided_at": doc.issued_at,
            "document_url": f"{home}decisions/{doc.code}.pdf",
            "appeal_until": selectors.appeal_ends(municipality=municipality, decision=doc),
        }
        for doc in selectors.decisions_published(municipality=municipality)[:200]
    ]
