"""Petitions through the API: list and start them, sign them."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from eloket.api.auth import AUTH
from eloket.api.modules import module_switch
from eloket.api.pagination import PageNumberPagination
from eloket.api.schemas import Error, FreeText, Id
from eloket.identity.eligibility import participant_actor
from eloket.petitions import selectors, services
from eloket.petitions.models import Petition
from eloket.tenants.links import municipality_base_url
from eloket.tenants.models import Module
from eloket.tenants.selectors import municipality_get

router = Router(tags=["petitions"])
router.add_decorator(module_switch(Module.PETITIONS), mode="view")
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class PetitionIn(Schema):
    title: FreeText = Field(..., max_length=200)
    text: FreeText = Field(..., max_length=10000, description="Markdown.")


class PetitionOut(Schema):
    id: int
    title: str
    text: str
    status: str
    signature_count: int
    threshold: int | None
    eligible_residents: int | None
    signing_opens_at: Any = None
    signing_closes_at: Any = None
    answer: str
    url: str = Field(..., description="The petition's page.")


def petition_out(request: HttpRequest, petition: Petition) -> dict[str, Any]:
    home = municipality_base_url(
        petition.municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )
    return {
        "id": petition.pk,
        "title": petition.title,
        "text": petition.text,
        "status": petition.status,
        "signature_count": petition.signature_count,
        "threshold": petition.threshold,
        "eligible_residents": petition.eligible_residents,
        "signing_opens_at": petition.signing_opens_at,
        "signing_closes_at": petition.signing_closes_at,
        "answer": petition.answer,
        "url": f"{home}petitions/{petition.pk}",
    }


@router.get(
    "/m/{slug}/petitions",
    response={200: list[PetitionOut], 404: Error, 422: Error},
    summary="Petitions (in their signing period first)",
)
@paginate(PageNumberPagination)
def petitions(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PETITIONS)
    return [
        petition_out(request, p)
        for p in selectors.petitions_of(municipality=municipality).select_related("municipality")
    ]


@router.post(
    "/m/{slug}/petitions",
    auth=AUTH,
    response={201: PetitionOut, **ERRORS},
    summary="Start a petition (eligible residents)",
)
def start(request: HttpRequest, slug: str, payload: PetitionIn) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PETITIONS)
    petition = services.petition_start(
        actor=participant_actor(request.user),
        municipality=municipality,
        title=payload.title,
        text=payload.text,
    )
    return Status(201, petition_out(request, petition))


@router.post(
    "/m/{slug}/petitions/{petition_id}/signatures",
    auth=AUTH,
    response={201: PetitionOut, **ERRORS},
    summary="Sign a petition (eligible residents, once)",
)
def sign(request: HttpRequest, slug: str, petition_id: Id) -> Any:
    municipality = municipality_get(slug=slug, module=Module.PETITIONS)
    petition = selectors.petition_get(
        municipality=municipality, petition_id=petition_id, user=request.user
    )
    services.petition_sign(
        actor=participant_actor(request.user), municipality=municipality, petition=petition
    )
    petition.refresh_from_db()
    return Status(201, petition_out(request, petition))
