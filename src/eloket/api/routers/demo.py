"""Demo identities and tokens, for trying the API (demo mode only; 404 otherwise)."""

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as F
from ninja import Query, Router, Schema

from eloket.api.schemas import DemoCitizenOut, DemoOfficerOut, DemoTokenIn, DemoTokenOut, Error
from eloket.common.errors import ApplicationError
from eloket.demo.services import demo_citizen_list, demo_officer_list, demo_token
from eloket.tenants.selectors import municipality_get

router = Router(tags=["demo"])
ERRORS = {404: Error, 422: Error}


def _demo_only() -> None:
    if not settings.ELOKET_DEMO:
        raise Http404(_("This exists only in demo mode."))


class MunicipalityQuery(Schema):
    municipality: str = F(..., description="Slug of a demo municipality.")


@router.get(
    "/citizens",
    response={200: list[DemoCitizenOut], **ERRORS},
    summary="Demo citizens of a municipality: ordinary residents first, then personas",
)
def citizens(request: HttpRequest, query: Query[MunicipalityQuery]) -> Any:
    _demo_only()
    return demo_citizen_list(municipality_get(slug=query.municipality))


@router.get(
    "/officers",
    response={200: list[DemoOfficerOut], **ERRORS},
    summary="Demo officers of a municipality",
)
def officers(request: HttpRequest, query: Query[MunicipalityQuery]) -> Any:
    _demo_only()
    return demo_officer_list(municipality_get(slug=query.municipality))


@router.post(
    "/token",
    response={200: DemoTokenOut, 400: Error, 403: Error, **ERRORS},
    summary="A bearer token for a demo citizen or officer",
)
def token(request: HttpRequest, payload: DemoTokenIn) -> Any:
    _demo_only()
    if bool(payload.national_number) == bool(payload.officer):
        raise ApplicationError(
            _('Send either "national_number" or "officer".'), code="invalid_input"
        )
    return demo_token(national_number=payload.national_number, officer=payload.officer)
