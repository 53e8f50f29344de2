"""Approval chains (issue 13): an officer's "to approve" queue (their own steps and those
delegated to them), the clerk's draft decision, an approver's approval or return, and
delegations. The services check every rule (own draft, twice, whose step, which
municipality); an officer of another municipality is refused."""

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from eloket.api.auth import AUTH
from eloket.api.schemas import Error, FreeText
from eloket.approvals.models import DraftDecision
from eloket.approvals.selectors import approvals_waiting_for, open_draft_of
from eloket.approvals.services import approval_act, approval_submit, delegation_create
from eloket.cases.models import Case
from eloket.cases.selectors import case_for_officer
from eloket.common.actors import Actor
from eloket.common.errors import NotFound
from eloket.common.permissions import PermissionDenied
from eloket.identity.access import officer_access
from eloket.tenants.selectors import municipality_get

router = Router(tags=["approvals"], auth=AUTH)
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 409: Error, 422: Error}


class DraftDecisionIn(Schema):
    outcome: Literal["grant", "refuse"]
    text: FreeText = Field(
        "", max_length=4000, description="The decision's text; required to refuse."
    )


class ApprovalIn(Schema):
    action: Literal["approve", "return"]
    comment: FreeText = Field(
        "", max_length=4000, description="Internal; required to return. The citizen never reads it."
    )


class DelegationIn(Schema):
    delegate: str = Field(..., max_length=150, description="The colleague's username.")
    starts_at: dt.datetime
    ends_at: dt.datetime


class DelegationOut(Schema):
    id: int
    delegator: str
    delegate: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class ApprovalActOut(Schema):
    kind: str
    step: int
    by: str
    on_behalf_of: str | None
    at: dt.datetime


class DraftDecisionOut(Schema):
    tracking_code: str
    title: str
    outcome: str
    text: str
    status: str = Field(..., description="pending, returned or approved")
    prepared_by: str
    step: int = Field(..., description="The step it waits at (0 is the first).")
    steps: list[str] = Field(..., description="The names of the steps this request goes through.")
    case_status: str
    acts: list[ApprovalActOut]


def _out(draft: DraftDecision) -> dict[str, Any]:
    case = draft.case
    case.refresh_from_db(fields=["status"])
    return {
        "tracking_code": case.tracking_code,
        "title": case.title,
        "outcome": draft.outcome,
        "text": draft.text,
        "status": draft.status,
        "prepared_by": draft.prepared_by_label,
        "step": draft.step,
        "steps": [s["name"] for s in draft.steps],
        "case_status": case.status,
        "acts": [
            {
                "kind": a.kind,
                "step": a.step,
                "by": a.user.username,
                "on_behalf_of": a.on_behalf_of.username if a.on_behalf_of is not None else None,
                "at": a.at,
            }
            for a in draft.acts.select_related("user", "on_behalf_of").filter(void=False)
        ],
    }


def _case(request: HttpRequest, slug: str, code: str) -> tuple[Actor, Any, Case]:
    """The case for an officer who handles its kind, or whose approval it waits for."""
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    try:
        return (
            actor,
            municipality,
            case_for_officer(municipality=municipality, actor=actor, tracking_code=code),
        )
    except (PermissionDenied, NotFound):
        pass
    waiting = [
        d.case
        for d in approvals_waiting_for(municipality=municipality, user=request.user)  # type: ignore[arg-type]
        if d.case.tracking_code == code
    ]
    if not waiting:
        raise NotFound(_("There is no request with this tracking code here."))
    return actor, municipality, waiting[0]


@router.get(
    "/m/{slug}/backoffice/approvals",
    response={200: list[DraftDecisionOut], **ERRORS},
    summary="My queue to approve: draft decisions at a step of mine, or of whoever delegated to me",
)
def approvals_queue(request: HttpRequest, slug: str) -> Any:
    municipality = municipality_get(slug=slug)
    officer_access(request, municipality)
    return [_out(d) for d in approvals_waiting_for(municipality=municipality, user=request.user)]  # type: ignore[arg-type]


@router.post(
    "/m/{slug}/backoffice/requests/{tracking_code}/draft-decision",
    response={200: DraftDecisionOut, **ERRORS},
    summary="Submit a draft decision up the service's approval chain (or resubmit a returned one)",
    description=(
        "409 wrong_state when the service has no chain for this request (decide with "
        "`.../decision`), the request cannot be decided now, or a draft already waits."
    ),
)
def draft_decision(
    request: HttpRequest, slug: str, tracking_code: str, payload: DraftDecisionIn
) -> Any:
    actor, municipality, case = _case(request, slug, tracking_code)
    draft = approval_submit(
        actor=actor,
        municipality=municipality,
        case=case,
        outcome=payload.outcome,
        text=payload.text,
    )
    return _out(draft)


@router.post(
    "/m/{slug}/backoffice/requests/{tracking_code}/approval",
    response={200: DraftDecisionOut, **ERRORS},
    summary="Approve the draft decision at your step, or return it to the previous step",
    description=(
        "403 when it is your own draft, you approved it already, or the step is not "
        "yours; 409 wrong_state when no draft waits. The last approval decides."
    ),
)
def approval(request: HttpRequest, slug: str, tracking_code: str, payload: ApprovalIn) -> Any:
    actor, municipality, case = _case(request, slug, tracking_code)
    draft = open_draft_of(municipality=municipality, case=case)
    approval_act(
        actor=actor,
        municipality=municipality,
        case=case,
        action=payload.action,
        comment=payload.comment,
    )
    if draft is None:  # pragma: no cover (approval_act refused it)
        raise NotFound(_("No draft decision waits for approval on this request."))
    draft.refresh_from_db()
    return _out(draft)


@router.post(
    "/m/{slug}/backoffice/delegations",
    response={200: DelegationOut, **ERRORS},
    summary="Delegate my approvals to a colleague for a period",
)
def delegation(request: HttpRequest, slug: str, payload: DelegationIn) -> Any:
    municipality = municipality_get(slug=slug)
    actor = officer_access(request, municipality)
    d = delegation_create(
        actor=actor,
        municipality=municipality,
        delegate_username=payload.delegate,
        starts_at=payload.starts_at,
        ends_at=payload.ends_at,
    )
    return {
        "id": d.pk,
        "delegator": d.delegator.username,
        "delegate": d.delegate.username,
        "starts_at": d.starts_at,
        "ends_at": d.ends_at,
    }
