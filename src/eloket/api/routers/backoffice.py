"""Officers' reads of the register: always for their own municipality, with a purpose,
and always written to the person's access log. The national number travels in the body
of a POST, never in a URL (URLs end up in logs, histories and proxies)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field as F
from ninja import Router, Schema

from eloket.api.auth import AUTH
from eloket.api.routers.records import record_out
from eloket.api.schemas import Error, FreeText, Id, RegisterRecordOut
from eloket.cases.codes import normalise_tracking_code
from eloket.common.errors import ApplicationError
from eloket.identity.access import officer_access
from eloket.messaging.services import message_detail, message_retry, messages_list
from eloket.register.selectors import person_record
from eloket.tenants.selectors import municipality_get

router = Router(tags=["back office"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error}


class Gone(ApplicationError):
    code = "gone"
    status = 410


class LookupIn(Schema):
    national_number: str = F(..., max_length=20, description="Bare digits, or with separators.")
    purpose: FreeText = F(
        ...,
        max_length=300,
        description="Why the officer opens this record. Required; the person will read it.",
    )


@router.post(
    "/{slug}/backoffice/persons/lookup",
    response={200: RegisterRecordOut, **ERRORS},
    summary="A resident's register record (logged with its purpose)",
)
def person(request: HttpRequest, slug: str, payload: LookupIn) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    view = person_record(
        municipality=municipality,
        national_id=payload.national_number,
        actor=actor,
        purpose=payload.purpose,
    )
    return record_out(view)


@router.get(
    "/{slug}/backoffice/persons/{rest}",
    response={410: Error},
    include_in_schema=False,
)
def person_by_url(request: HttpRequest, slug: str, rest: str) -> Any:
    """The old look-up put the national number in the URL: gone for good."""
    raise Gone(
        _("Look a person up with POST …/backoffice/persons/lookup and the number in the body.")
    )


class RegistryMessageOut(Schema):
    id: int
    type: str = F(..., description="RegisterMutation, Acknowledgement, Error, …")
    direction: str = F(..., description="in (from a registry) or out (from Eloket)")
    state: str = F(
        ...,
        description="received, held, applied, refused, sent, queued, delivered, or dead "
        "(an outgoing message that failed its last try)",
    )
    attempts: int = F(..., description="Tries to send it (outgoing messages)")
    correlation_id: str
    message_id: str
    kind: str = F(..., description="A mutation's kind")
    created_at: Any
    error: str
    case: str = F("", description="The tracking code of the request it belongs to, if any")


class RegistryMessageDetailOut(RegistryMessageOut):
    xml: str = F(..., description="The message as signed (XML-DSig)")


@router.get(
    "/{slug}/backoffice/messages",
    response={200: list[RegistryMessageOut], **ERRORS},
    summary="Messages exchanged with the national registries (administrators)",
)
def messages(
    request: HttpRequest, slug: str, state: str = "", type: str = "", case: str = ""
) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    return messages_list(
        actor=actor,
        municipality=municipality,
        state=state,
        type=type,
        case_code=normalise_tracking_code(case),
    )


@router.get(
    "/{slug}/backoffice/messages/{message_id}",
    response={200: RegistryMessageDetailOut, **ERRORS},
    summary="One message with its signed XML (administrators)",
)
def message(request: HttpRequest, slug: str, message_id: Id) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    return message_detail(actor=actor, municipality=municipality, message_pk=message_id)


@router.post(
    "/{slug}/backoffice/messages/{message_id}/retry",
    response={200: RegistryMessageDetailOut, **ERRORS},
    summary="Send a dead-lettered message again (administrators)",
)
def message_resend(request: HttpRequest, slug: str, message_id: Id) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    return message_retry(actor=actor, municipality=municipality, message_pk=message_id)
