"""Officers' reads of the register: always for their own municipality, with a purpose,
and always written to the person's access log."""

from typing import Any

from django.http import HttpRequest
from ninja import Field as F
from ninja import Query, Router, Schema

from eloket.api.auth import AUTH
from eloket.api.routers.records import record_out
from eloket.api.schemas import Error, RegisterRecordOut
from eloket.identity.access import officer_access
from eloket.register.selectors import person_record
from eloket.tenants.selectors import municipality_get

router = Router(tags=["back office"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class PurposeQuery(Schema):
    purpose: str = F(
        "",
        max_length=300,
        description="Why the officer opens this record. Required; the person will read it.",
    )


@router.get(
    "/{slug}/backoffice/persons/{national_number}",
    response={200: RegisterRecordOut, **ERRORS},
    summary="A resident's register record (logged with its purpose)",
)
def person(
    request: HttpRequest, slug: str, national_number: str, query: Query[PurposeQuery]
) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    view = person_record(
        municipality=municipality,
        national_id=national_number,
        actor=actor,
        purpose=query.purpose,
    )
    return record_out(view)
