"""The caller's own data: their register record, who consulted it, their API tokens."""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status
from ninja.pagination import paginate

from eloket.api.auth import AUTH
from eloket.api.pagination import PageNumberPagination
from eloket.api.routers.records import record_out
from eloket.api.routers.requests import summary_out
from eloket.api.schemas import (
    AccessLogEntryOut,
    Error,
    Id,
    IssuedTokenOut,
    MeOut,
    RequestSummaryOut,
    TokenIn,
    TokenOut,
)
from eloket.cases.selectors import cases_of_requester
from eloket.identity import selectors, services
from eloket.identity.access import citizen_access, citizen_actor_for
from eloket.identity.sessions import login_scope, token_scope
from eloket.register.access_log import access_log_for_person
from eloket.register.selectors import own_record

router = Router(tags=["me"], auth=AUTH)
ERRORS = {401: Error, 403: Error, 422: Error}


@router.get("", response={200: MeOut, **ERRORS}, summary="Who I am, and my register record")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    citizen = selectors.citizen_of(user)
    person = selectors.citizen_person(user) if citizen else None
    return {
        "kind": "citizen" if citizen else "officer",
        "name": user.get_full_name() or user.get_username(),  # type: ignore[union-attr]
        "roles": [
            {"municipality": r.municipality.slug, "role": r.role}
            for r in selectors.officer_roles(user)
        ],
        "record": record_out(own_record(person=person)) if person else None,
    }


@router.get(
    "/access-log",
    response={200: list[AccessLogEntryOut], **ERRORS},
    summary="Who consulted my register data, and why",
)
@paginate(PageNumberPagination)
def access_log(request: HttpRequest) -> Any:
    _citizen, person, _actor = citizen_access(request)
    return [
        {
            "at": e.at,
            "actor": {
                "kind": e.actor_kind,
                "label": e.actor_label,
                "role": e.actor_role,
                "municipality": e.actor_municipality.slug if e.actor_municipality else None,
            },
            "data": e.data,
            "purpose": e.purpose,
            "case_ref": e.case_ref,
        }
        for e in access_log_for_person(person=person)
    ]


@router.get(
    "/requests",
    response={200: list[RequestSummaryOut], **ERRORS},
    summary="My requests of every kind, in the municipalities where I logged in, newest first",
)
@paginate(PageNumberPagination)
def my_requests(request: HttpRequest) -> Any:
    citizen_actor_for(request)
    cases = cases_of_requester(user=request.user).order_by("-created_at")  # type: ignore[arg-type]
    scope = login_scope(request)
    if scope is not None:  # only where this login counts (identity/middleware.py)
        cases = cases.filter(municipality__slug__in=scope)
    return [summary_out(request, case) for case in cases]


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, summary="My API tokens")
def tokens(request: HttpRequest) -> Any:
    return list(selectors.api_tokens_of(request.user))  # type: ignore[arg-type]


@router.post(
    "/tokens",
    response={201: IssuedTokenOut, 400: Error, **ERRORS},
    summary="Create an API token (its secret is shown once)",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    issued = services.api_token_create(
        user=request.user,  # type: ignore[arg-type]
        name=payload.name,
        days=payload.days,
        municipalities=token_scope(request),
    )
    return Status(
        201,
        {"token": issued.secret, "id": issued.token.pk, "expires_at": issued.token.expires_at},
    )


@router.delete(
    "/tokens/{token_id}",
    response={200: TokenOut, 404: Error, **ERRORS},
    summary="Revoke one of my API tokens",
)
def revoke_token(request: HttpRequest, token_id: Id) -> Any:
    return services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
