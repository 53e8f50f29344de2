"""Reads of approval chains: a case's steps, its open draft, whom a step waits for, and
an officer's "to approve" queue (their own steps and those delegated to them)."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from eloket.approvals.chain import matches, needed, steps_for
from eloket.approvals.models import ActKind, ApprovalAct, Delegation, DraftDecision, DraftStatus
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case


def chain_steps_of(*, municipality: Any, case: Case) -> list[dict[str, Any]]:
    """The steps of the case's chain (its service version's) that this case goes
    through: empty when the service has no chain or no step's condition is met."""
    if case.municipality_id != municipality.pk:
        return []
    chain = (case.case_type.options or {}).get("approval_chain")
    if not chain:
        return []
    values = case_handlers[case.case_type.handler].condition_values(case)
    return steps_for(chain, values)


def open_draft_of(*, municipality: Any, case: Case) -> DraftDecision | None:
    return (
        DraftDecision.objects.filter(
            municipality=municipality,
            case=case,
            status__in=[DraftStatus.PENDING, DraftStatus.RETURNED],
        )
        .select_related("prepared_by")
        .first()
    )


def drafts_of_case(*, municipality: Any, case: Case) -> QuerySet[DraftDecision]:
    return DraftDecision.objects.filter(municipality=municipality, case=case).order_by("pk")


def acts_of(*, municipality: Any, draft: DraftDecision) -> QuerySet[ApprovalAct]:
    return ApprovalAct.objects.filter(municipality=municipality, draft=draft).select_related(
        "user", "on_behalf_of"
    )


def delegators_of(*, municipality: Any, user_id: int, now: dt.datetime) -> list[int]:
    """Whose approvals `user_id` makes now (their delegations in force)."""
    return list(
        Delegation.objects.filter(
            municipality=municipality, delegate_id=user_id, starts_at__lte=now, ends_at__gt=now
        ).values_list("delegator_id", flat=True)
    )


def delegations_of(*, municipality: Any, user_id: int) -> QuerySet[Delegation]:
    """Delegations given by or to an officer that have not ended."""
    from django.db.models import Q

    return Delegation.objects.filter(
        Q(delegator_id=user_id) | Q(delegate_id=user_id),
        municipality=municipality,
        ends_at__gt=timezone.now(),
    ).select_related("delegator", "delegate")


def _role_of(municipality: Any, user_id: int) -> tuple[str, str, str] | None:
    from eloket.identity.models import OfficerRole

    role = (
        OfficerRole.objects.filter(municipality=municipality, user_id=user_id, user__is_active=True)
        .select_related("user")
        .first()
    )
    if role is None:
        return None
    return role.user.username, role.role, role.department


def free_slot(
    *, municipality: Any, draft: DraftDecision, user_id: int, now: dt.datetime
) -> tuple[int, int | None] | None:
    """The approver slot of the draft's current step that `user_id` may fill now, as
    (slot, on behalf of whom, or None when in their own name); None when none."""
    step = draft.steps[draft.step]
    taken = set(
        ApprovalAct.objects.filter(
            draft=draft, step=draft.step, kind=ActKind.APPROVE, void=False
        ).values_list("slot", flat=True)
    )
    candidates: list[int | None] = [
        None,
        *delegators_of(municipality=municipality, user_id=user_id, now=now),
    ]
    for on_behalf in candidates:
        who = _role_of(municipality, on_behalf or user_id)
        if who is None:
            continue
        username, role, department = who
        for slot, spec in enumerate(step["approvers"]):
            if slot not in taken and matches(
                spec, username=username, role=role, department=department
            ):
                return slot, on_behalf
    return None


def step_complete(*, municipality: Any, draft: DraftDecision) -> bool:
    step = draft.steps[draft.step]
    count = ApprovalAct.objects.filter(
        draft=draft, step=draft.step, kind=ActKind.APPROVE, void=False
    ).count()
    return count >= needed(step)


def has_approved(*, municipality: Any, draft: DraftDecision, user_id: int) -> bool:
    """Whether the officer approved this draft already (in their name or for someone)."""
    from django.db.models import Q

    return ApprovalAct.objects.filter(
        Q(user_id=user_id) | Q(on_behalf_of_id=user_id),
        municipality=municipality,
        draft=draft,
        kind=ActKind.APPROVE,
        void=False,
    ).exists()


def approvals_waiting_for(*, municipality: Any, user: User) -> list[DraftDecision]:
    """The officer's "to approve" queue: drafts whose current step they may approve now,
    in their own name or a delegator's, except their own drafts and what they approved."""
    now = timezone.now()
    drafts = (
        DraftDecision.objects.filter(
            municipality=municipality, status=DraftStatus.PENDING, case__closed_at__isnull=True
        )
        .exclude(prepared_by_id=user.pk)
        .select_related("case", "case__case_type")
        .order_by("step_started_at", "pk")
    )
    return [
        d
        for d in drafts
        if not has_approved(municipality=municipality, draft=d, user_id=user.pk)
        and free_slot(municipality=municipality, draft=d, user_id=user.pk, now=now) is not None
    ]


def step_approvers(*, municipality: Any, draft: DraftDecision) -> list[User]:
    """The officers the draft's current step may be approved by (for a reminder)."""
    from eloket.identity.models import OfficerRole

    step = draft.steps[draft.step]
    roles = OfficerRole.objects.filter(
        municipality=municipality, user__is_active=True
    ).select_related("user")
    return [
        r.user
        for r in roles
        if any(
            matches(spec, username=r.user.username, role=r.role, department=r.department)
            for spec in step["approvers"]
        )
    ]


def heads_of(*, municipality: Any, department: str) -> list[User]:
    """The heads of a department (else every head of the municipality)."""
    from eloket.identity.models import OfficerRole

    roles = OfficerRole.objects.filter(municipality=municipality, role="head", user__is_active=True)
    own = roles.filter(department=department)
    return [r.user for r in (own if own.exists() else roles).select_related("user")]


def draft_document_of(*, municipality: Any, case: Case) -> tuple[str, bytes] | None:
    """The open draft's decision document as it stands (signed by the approvals so far),
    and its code; None when there is no open draft or it makes no document. The caller
    has checked that the officer may handle the case."""
    draft = open_draft_of(municipality=municipality, case=case)
    if draft is None or draft.pdf is None:
        return None
    return draft.document_code, bytes(draft.pdf)
