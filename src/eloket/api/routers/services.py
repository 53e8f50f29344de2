"""Services (issue 12): what a municipality offers as data, the definition of one with
the JSON Schema of its answers, making a request (with Idempotency-Key), and the back
office's queue of requests of every kind: open one, claim it, decide.

The back office sees only what the officer may handle (their department's kinds; heads
and administrators every kind): a clerk of another department finds nothing, an officer
of another municipality is refused."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router, Status
from ninja.pagination import paginate

from eloket.api.auth import AUTH
from eloket.api.pagination import PageNumberPagination
from eloket.api.routers.requests import request_out
from eloket.api.schemas import (
    BackofficeDecisionIn,
    BackofficeRequestItemOut,
    BackofficeRequestOut,
    BackofficeRequestQuery,
    Error,
    ServiceDefinitionOut,
    ServiceOut,
    ServiceRequestCreatedOut,
    ServiceRequestIn,
)
from eloket.cases.models import Case
from eloket.cases.selectors import case_for_officer, cases_of_municipality
from eloket.cases.services import case_act, case_assign
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.common.permissions import PermissionDenied
from eloket.identity.access import citizen_actor_for, officer_access
from eloket.services.definition import service_file_schema
from eloket.services.display import fee_label
from eloket.services.handler import form_of
from eloket.services.selectors import (
    service_current,
    service_file,
    service_request_of,
    services_offered,
)
from eloket.services.services import service_request_submit
from eloket.tenants.links import municipality_base_url
from eloket.tenants.selectors import municipality_get

router = Router(tags=["services"])
backoffice_router = Router(tags=["back office"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


@router.get(
    "/m/{slug}/services",
    response={200: list[ServiceOut], 404: Error, 422: Error},
    summary="The services a municipality offers (requests defined as data)",
    description="Names and fees in the request's language (Accept-Language).",
)
def services_list(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug)
    home = municipality_base_url(municipality, platform_base_url=_base(request))
    out = []
    for kind in services_offered(municipality=municipality):
        fee = kind.options.get("fee") or {"amount": 0, "currency": ""}
        out.append(
            {
                "code": kind.code,
                "name": kind.name(),
                "version": kind.version,
                "fee": {
                    "amount": fee["amount"],
                    "currency": fee["currency"],
                    "label": fee_label(kind),
                },
                "processing_days": kind.processing_days,
                "url": f"{home}services/{kind.code}",
            }
        )
    return out


@router.get(
    "/m/{slug}/services/{code}",
    response={200: ServiceDefinitionOut, 404: Error, 422: Error},
    exclude_none=True,
    summary="A service's definition, with the JSON Schema of its answers",
    description=(
        "The definition file of the current version (GET /schemas/service-definition.json "
        "describes it) with `answers_schema`: any answers valid against it (file questions "
        "aside) are accepted by POST …/requests, and an answer to a question the form does "
        "not ask is refused. 404 for a service that is not offered here."
    ),
)
def service_get(request: HttpRequest, slug: str, code: str) -> Any:
    municipality = municipality_get(slug=slug)
    kind = service_current(municipality=municipality, code=code)
    return {
        **service_file(municipality=municipality, case_type=kind),
        "name": kind.name(),
        "version": kind.version,
        "answers_schema": form_of(kind).answers_schema(),
    }


@router.post(
    "/m/{slug}/services/{code}/requests",
    auth=AUTH,
    response={200: ServiceRequestCreatedOut, 201: ServiceRequestCreatedOut, **ERRORS},
    summary="Make a request with a service's form (send an Idempotency-Key to retry safely)",
    description=(
        "201 with the new request; 200 with the same request when the Idempotency-Key was "
        "already used for the same answers; 409 idempotency_key_reused when it was used for "
        "others. 400 invalid_answers with a message per question under details.fields (in "
        "the request's language); 404 for a service not offered here; 403 residents_only or "
        "adults_only for an applicant the service is not for. Refused, nothing is stored. "
        "Files of file questions go to POST /requests/{tracking_code}/attachments."
    ),
)
def service_request_create(
    request: HttpRequest,
    slug: str,
    code: str,
    payload: ServiceRequestIn,
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=100,
        description="Any unique string: a retry with the same key makes no second request.",
    ),
) -> Any:
    municipality = municipality_get(slug=slug)
    actor = citizen_actor_for(request)
    case, created = service_request_submit(
        actor=actor,
        municipality=municipality,
        code=code,
        answers=payload.answers,
        idempotency_key=idempotency_key,
        contact_email=payload.contact_email,
        on_behalf=payload.on_behalf.dict() if payload.on_behalf else None,
    )
    return Status(
        201 if created else 200,
        {
            "tracking_code": case.tracking_code,
            "status": case.status,
            "url": f"{_base(request)}/api/v1/requests/{case.tracking_code}",
        },
    )


@router.get(
    "/schemas/service-definition.json",
    response={200: dict[str, Any]},
    summary="The JSON Schema (2020-12) of a service definition file",
    description="What the admin's import and `eloket services` check a definition against.",
)
def service_definition_schema(request: HttpRequest) -> Any:
    return service_file_schema()


# --- The back office


def _officer_case(request: HttpRequest, slug: str, code: str) -> tuple[Actor, Case]:
    """The case, for an officer of this municipality who may handle its kind; as if it
    did not exist for anyone else of the municipality (whether a code exists is not told)."""
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    try:
        case = case_for_officer(municipality=municipality, actor=actor, tracking_code=code)
    except PermissionDenied:
        raise NotFound(_("There is no request with this tracking code here.")) from None
    return actor, case


def _backoffice_out(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any]:
    record = service_request_of(municipality=case.municipality, case=case)
    return {
        **request_out(request, actor, case),
        "requester": case.requester.get_full_name() or case.requester.get_username(),
        "channel": record.channel if record is not None else None,
        "assigned_to": case.assigned_to.username if case.assigned_to is not None else None,
    }


@backoffice_router.get(
    "/m/{slug}/backoffice/requests",
    response={200: list[BackofficeRequestItemOut], **ERRORS},
    summary="The queue: requests of every kind the officer handles, newest first",
    description=(
        "Only the kinds of the officer's department (heads and administrators: every "
        "kind). Filter with ?service= (a service's code) and ?status=."
    ),
)
@paginate(PageNumberPagination)
def backoffice_requests(
    request: HttpRequest, slug: str, query: Query[BackofficeRequestQuery]
) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    return cases_of_municipality(
        municipality=municipality,
        actor=actor,
        kinds=[query.service] if query.service else None,
        statuses=[query.status] if query.status else None,
    ).order_by("-created_at", "-pk")


@backoffice_router.get(
    "/m/{slug}/backoffice/requests/{tracking_code}",
    response={200: BackofficeRequestOut, **ERRORS},
    summary="A request in the back office: answers, timeline, messages, who handles it",
)
def backoffice_request(request: HttpRequest, slug: str, tracking_code: str) -> Any:
    actor, case = _officer_case(request, slug, tracking_code)
    return _backoffice_out(request, actor, case)


@backoffice_router.post(
    "/m/{slug}/backoffice/requests/{tracking_code}/claim",
    response={200: BackofficeRequestOut, **ERRORS},
    summary="Take a request: you handle it from now on",
)
def backoffice_claim(request: HttpRequest, slug: str, tracking_code: str) -> Any:
    actor, case = _officer_case(request, slug, tracking_code)
    case = case_assign(actor=actor, municipality=case.municipality, case=case)
    case.refresh_from_db()
    return _backoffice_out(request, actor, case)


@backoffice_router.post(
    "/m/{slug}/backoffice/requests/{tracking_code}/decision",
    response={200: BackofficeRequestOut, **ERRORS},
    summary="Approve, reject (with a reason) or ask the requester for information",
    description=(
        "The request's own actions approve, reject and request_info. 400 reason_required "
        "to reject or ask without a reason; 409 wrong_state when the request's status "
        "does not allow it. Approving or rejecting makes the decision document. On a "
        "service whose approval chain has steps for this request, approve drafts a grant "
        "(the reason as its text) and submits it up the chain instead (docs/approvals.md)."
    ),
)
def backoffice_decide(
    request: HttpRequest, slug: str, tracking_code: str, payload: BackofficeDecisionIn
) -> Any:
    actor, case = _officer_case(request, slug, tracking_code)
    case = case_act(
        actor=actor,
        municipality=case.municipality,
        case=case,
        action=payload.decision,
        reason=payload.reason,
    )
    return _backoffice_out(request, actor, case)
