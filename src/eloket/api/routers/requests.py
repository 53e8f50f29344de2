"""Requests of every kind: open one (its requester, or the officers who handle its type)
with its status and timeline, and act on it (the actions its type allows the caller)."""

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status

from eloket.api.auth import AUTH
from eloket.api.schemas import Error, RequestActionIn, RequestOut, RequestStartIn
from eloket.attachments.models import Attachment
from eloket.attachments.selectors import attachments_of_case
from eloket.cases.display import case_url, history_text
from eloket.cases.models import Case
from eloket.cases.rights import may_make
from eloket.cases.selectors import (
    case_for_officer,
    case_for_requester,
    case_municipality_id,
    messages_of,
    timeline,
)
from eloket.cases.services import case_act, case_request_start
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.common.permissions import PermissionDenied
from eloket.identity.access import officer_access
from eloket.identity.selectors import citizen_actor_of, officer_role_in
from eloket.identity.sessions import login_reaches
from eloket.tenants.links import municipality_base_url
from eloket.tenants.models import Municipality
from eloket.tenants.selectors import municipality_get

router = Router(tags=["requests"], auth=AUTH)
# Starting one is per municipality (/api/v1/m/{slug}/requests).
start_router = Router(tags=["requests"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


def _base(request: HttpRequest) -> str:
    return f"{request.scheme}://{request.get_host()}"


def _not_yours() -> NotFound:
    return NotFound(_("You have no request with this tracking code."))


def caller_and_case(request: HttpRequest, code: str) -> tuple[Actor, Case]:
    """The case and the caller as an actor: its requester, or an officer who may handle
    its type. Anyone else gets 404 (whether a code exists is not told)."""
    municipality_id = case_municipality_id(tracking_code=code)
    municipality = (
        Municipality.objects.filter(pk=municipality_id, is_active=True).first()
        if municipality_id
        else None
    )
    if municipality is None:
        raise _not_yours()
    if officer_role_in(request.user, municipality) is not None:
        actor = officer_access(request, municipality)  # 401 without the second factor
        try:
            return actor, case_for_officer(
                municipality=municipality, actor=actor, tracking_code=code
            )
        except PermissionDenied:
            raise _not_yours() from None
    citizen = citizen_actor_of(request.user)
    if citizen is None or not login_reaches(request, municipality.slug):
        raise _not_yours()  # a login made at another municipality does not reach here
    case = case_for_requester(municipality=municipality, user=request.user, tracking_code=code)
    return citizen, case


def case_for_caller(request: HttpRequest, code: str) -> Case:
    return caller_and_case(request, code)[1]


def summary_out(request: HttpRequest, case: Case, *, officer: bool = False) -> dict[str, Any]:
    return {
        "tracking_code": case.tracking_code,
        "kind": case.kind,
        "kind_name": case.case_type.name(),
        "status": case.status,
        "status_name": case.status_name(),
        "title": case.display_title,
        "municipality": case.municipality.slug,
        "created_at": case.created_at,
        "url": case_url(case, officer=officer, platform_base_url=_base(request)),
    }


def attachment_out(
    request: HttpRequest, case: Case, attachment: Attachment, *, officer: bool
) -> dict[str, Any]:
    home = municipality_base_url(
        case.municipality, platform_base_url=f"{request.scheme}://{request.get_host()}"
    )
    where = "backoffice/requests" if officer else "requests"
    return {
        "id": attachment.public_id,
        "question": attachment.question,
        "message": attachment.message_id is not None,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
        "uploaded_at": attachment.uploaded_at,
        "url": f"{home}{where}/{case.tracking_code}/files/{attachment.public_id}",
    }


def attachments_out(request: HttpRequest, case: Case, *, officer: bool) -> list[dict[str, Any]]:
    return [
        attachment_out(request, case, a, officer=officer)
        for a in attachments_of_case(municipality=case.municipality, case=case)
    ]


def request_out(request: HttpRequest, actor: Actor, case: Case) -> dict[str, Any]:
    municipality = case.municipality
    officer = actor.kind == "officer"
    return {
        **summary_out(request, case, officer=officer),
        "version": case.case_type.version,
        "due_at": case.due_at,
        "closed_at": case.closed_at,
        "overdue": case.is_overdue,
        "timeline": [
            {
                "at": step.at,
                "status": step.to_status,
                "status_name": case.case_type.status_name(step.to_status),
                "action": step.action,
                "text": history_text(step, case),
                "reason": step.reason,
            }
            for step in timeline(municipality=municipality, case=case)
        ],
        "messages": [
            {"at": m.at, "author": m.author, "text": m.text}
            for m in messages_of(municipality=municipality, case=case)
        ],
        "actions": [
            {"action": t.action, "name": t.name(), "reason_required": t.reason_required}
            for t in case.case_type.spec.transitions_from(case.status)
            if may_make(actor, municipality, case, t)
        ],
        "attachments": attachments_out(request, case, officer=officer),
    }


@router.get(
    "/{tracking_code}",
    response={200: RequestOut, **ERRORS},
    summary="A request of any kind: status, timeline, and what you may do now",
    description=(
        "For its requester, and for the officers who handle its kind (the department's "
        "clerks, heads of department, the municipality's administrators)."
    ),
)
def request_get(request: HttpRequest, tracking_code: str) -> Any:
    actor, case = caller_and_case(request, tracking_code)
    return request_out(request, actor, case)


@router.post(
    "/{tracking_code}/actions",
    response={200: RequestOut, **ERRORS},
    summary="Act on a request (an action its type allows you from its current status)",
    description=(
        "409 wrong_state when the action does not leave the current status; 403 when it is "
        "not yours to make; 400 reason_required when it needs a reason."
    ),
)
def request_act(request: HttpRequest, tracking_code: str, payload: RequestActionIn) -> Any:
    actor, case = caller_and_case(request, tracking_code)
    case = case_act(
        actor=actor,
        municipality=case.municipality,
        case=case,
        action=payload.action,
        reason=payload.reason,
    )
    case.refresh_from_db()
    return request_out(request, actor, case)


@start_router.post(
    "/m/{slug}/requests",
    response={201: RequestOut, **ERRORS},
    summary="Ask for a kind of request that needs no form of its own",
    description=(
        "The kinds are the municipality's catalogue entries under /ask/ (GET "
        "/municipalities/{slug}/services). 404 for an unknown kind; 403 residents_only when "
        "the kind is for residents and the caller does not live there."
    ),
)
def request_start(request: HttpRequest, slug: str, payload: RequestStartIn) -> Any:
    municipality = municipality_get(slug=slug)
    actor = citizen_actor_of(request.user)
    if actor is None:
        raise PermissionDenied(_("This is for citizens logged in with their eID."))
    case = case_request_start(
        actor=actor,
        municipality=municipality,
        code=payload.kind,
        text=payload.text,
        contact_email=payload.email,
    )
    return Status(201, request_out(request, actor, case))
