"""Writes of approval chains: the clerk submits a draft decision up the service's chain
(or resubmits it after a return), an approver approves (with a comment or not) or
returns it to the previous step, officers delegate their approvals for a period, and the
periodic tick reminds and escalates.

The rules: an officer never approves their own draft, never twice in one chain, and only
a step that names them (by role and department, or by name) or a colleague who delegated
to them. The last approval decides: the case's own `approve` (grant) or `reject` (refuse)
transition is made in the name of the last approver (the delegator, for a delegate)."""

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.approvals import messages as texts
from eloket.approvals.models import (
    ActKind,
    ApprovalAct,
    Delegation,
    DraftDecision,
    DraftStatus,
    Outcome,
)
from eloket.approvals.selectors import (
    chain_steps_of,
    free_slot,
    has_approved,
    heads_of,
    open_draft_of,
    step_approvers,
    step_complete,
)
from eloket.approvals.signing import (
    draft_document_prepare,
    draft_document_rewind,
    draft_sign,
    draft_sign_prepared,
)
from eloket.audit.services import audit_record
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case
from eloket.cases.services import WrongState, case_timeline_add, case_transition
from eloket.common.actors import Actor, ActorKind
from eloket.common.errors import ApplicationError, NotFound
from eloket.common.permissions import Permission, PermissionDenied, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters

MAX_TEXT = 4000
DECIDING_ACTION = {Outcome.GRANT: "approve", Outcome.REFUSE: "reject"}


def _officer(actor: Actor) -> int:
    if actor.kind != ActorKind.OFFICER or actor.user_id is None:
        raise PermissionDenied(_("This is for the municipality's officers."))
    return actor.user_id


def approval_submit(
    *, actor: Actor, municipality: Any, case: Case, outcome: str, text: str
) -> DraftDecision:
    """The clerk's draft decision goes up the chain: a new draft, or a returned one,
    edited, again. Refused when the service has no chain for this case (it is decided at
    once), the case cannot be decided now, or a draft already waits for approval."""
    same_municipality(municipality, case)
    user_id = _officer(actor)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    text = text.strip()
    refuse_hidden_characters(text)
    if outcome not in Outcome.values:
        raise ApplicationError(_("A draft decision grants or refuses."), code="invalid_outcome")
    if len(text) > MAX_TEXT:
        raise ApplicationError(
            _("A draft decision is at most %(n)d characters.") % {"n": MAX_TEXT},
            code="text_too_long",
        )
    if outcome == Outcome.REFUSE and not text:
        raise ApplicationError(_("Say why: the citizen reads it."), code="reason_required")
    steps = chain_steps_of(municipality=municipality, case=case)
    if not steps:
        raise WrongState(_("This request is decided at once: it needs no approval."))
    # A public inquiry that still runs, an objection without an answer.
    blocker = case_handlers[case.case_type.handler].decision_blockers(case)
    if blocker:
        raise WrongState(blocker)
    spec = case.case_type.spec
    if spec.transition(DECIDING_ACTION[Outcome(outcome)], case.status) is None:
        raise WrongState(
            _("This request is %(status)s: it cannot be done now.") % {"status": case.status_name()}
        )
    now = timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        draft = open_draft_of(municipality=municipality, case=case)
        if draft is not None and draft.status == DraftStatus.PENDING:
            raise WrongState(_("A draft decision already waits for approval."))
        if draft is None:
            draft = DraftDecision(
                municipality=municipality,
                case=case,
                prepared_by_id=user_id,
                prepared_by_label=actor.label[:200],
                steps=steps,
                step=0,
            )
        draft.outcome = outcome
        draft.text = text
        draft.status = DraftStatus.PENDING
        draft.step_started_at = draft.submitted_at = now
        draft.reminded_at = draft.escalated_at = None
        # The decision document as the approvers will sign it (no approval is valid at a
        # submission: a return to the clerk voids them all).
        draft_document_prepare(draft, case)
        draft.save()
        submitted = ApprovalAct.objects.create(
            municipality=municipality,
            draft=draft,
            kind=ActKind.SUBMIT,
            step=draft.step,
            user_id=user_id,
            user_label=actor.label[:200],
            at=now,
        )
        # The drafter signs the document as submitted, with their own key (no key: the
        # submission rolls back, as an approval does).
        draft_sign_prepared(draft, submitted, actor)
        draft.save(update_fields=["pdf", "unsigned_pdf"])
        case_timeline_add(
            actor=actor,
            municipality=municipality,
            case=case,
            action="approval.submit",
            message=texts.SUBMITTED,
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="approval.submit",
            object_type="case",
            object_ref=case.tracking_code,
            data={
                "outcome": outcome,
                "steps": [s["name"] for s in draft.steps],
                "step": draft.step,
            },
        )
    return draft


def approval_act(
    *, actor: Actor, municipality: Any, case: Case, action: str, comment: str = ""
) -> DraftDecision:
    """Approve the draft waiting at the officer's step (with a comment or not), or
    return it to the previous step with a reason (from the first step: to the clerk,
    who edits and resubmits it). The last approval decides the case."""
    same_municipality(municipality, case)
    user_id = _officer(actor)
    authorize(actor, municipality, Permission.CASE_HANDLE)
    comment = comment.strip()
    refuse_hidden_characters(comment)
    if action not in ("approve", "return"):
        raise ApplicationError(_("An approver approves or returns."), code="invalid_action")
    if len(comment) > MAX_TEXT:
        raise ApplicationError(
            _("A comment is at most %(n)d characters.") % {"n": MAX_TEXT}, code="text_too_long"
        )
    if action == "return" and not comment:
        raise ApplicationError(_("Say why you return it."), code="reason_required")
    now = timezone.now()
    with transaction.atomic():
        Case.objects.select_for_update().filter(pk=case.pk).first()
        draft = open_draft_of(municipality=municipality, case=case)
        if draft is None or draft.status != DraftStatus.PENDING:
            raise WrongState(_("No draft decision waits for approval on this request."))
        if draft.prepared_by_id == user_id:
            raise PermissionDenied(_("You do not approve your own draft."))
        if has_approved(municipality=municipality, draft=draft, user_id=user_id):
            raise PermissionDenied(_("You approved this draft already: once per chain."))
        found = free_slot(municipality=municipality, draft=draft, user_id=user_id, now=now)
        if found is None:
            raise PermissionDenied(_("This step of the approval is not yours."))
        slot, on_behalf = found
        if on_behalf is not None and (
            on_behalf == draft.prepared_by_id
            or has_approved(municipality=municipality, draft=draft, user_id=on_behalf)
        ):
            raise PermissionDenied(_("You approved this draft already: once per chain."))
        delegator = User.objects.get(pk=on_behalf) if on_behalf is not None else None
        delegator_label = (delegator.get_full_name() or delegator.username) if delegator else ""
        act = ApprovalAct.objects.create(
            municipality=municipality,
            draft=draft,
            kind=ActKind.APPROVE if action == "approve" else ActKind.RETURN,
            step=draft.step,
            slot=slot,
            user_id=user_id,
            user_label=actor.label[:200],
            on_behalf_of=delegator,
            on_behalf_of_label=delegator_label[:200],
            comment=comment,
            at=now,
        )
        deciding = False
        if action == "return":
            # The approvals of this step and of the one before are made again.
            ApprovalAct.objects.filter(
                draft=draft, kind=ActKind.APPROVE, step__in=[draft.step, max(draft.step - 1, 0)]
            ).update(void=True)
            draft_document_rewind(draft)
            if draft.step == 0:
                draft.status = DraftStatus.RETURNED
            else:
                draft.step -= 1
            draft.step_started_at = now
            draft.reminded_at = draft.escalated_at = None
            draft.save()
            case_timeline_add(
                actor=actor,
                municipality=municipality,
                case=case,
                action="approval.return",
                message=texts.RETURNED,
            )
        else:
            # The officer's own signature on the decision document, before anything else
            # of this approval is written: no key, no approval.
            draft_sign(draft, act, actor, delegator_label=delegator_label)
            draft.save(update_fields=["pdf"])
            # The role is put in words when read, in the reader's language.
            params = {"name": actor.label, "role_code": actor.role, "department": actor.department}
            if delegator is not None:
                params["delegator"] = delegator_label
            case_timeline_add(
                actor=actor,
                municipality=municipality,
                case=case,
                action="approval.approve",
                message=texts.APPROVED_FOR if delegator is not None else texts.APPROVED_BY,
                params=params,
            )
            if step_complete(municipality=municipality, draft=draft):
                if draft.step + 1 < len(draft.steps):
                    draft.step += 1
                    draft.step_started_at = now
                    draft.reminded_at = draft.escalated_at = None
                else:
                    draft.status = DraftStatus.APPROVED
                    draft.decided_at = now
                    deciding = True
                draft.save()
        audit_record(
            actor=actor,
            municipality=municipality,
            action=f"approval.{action}",
            object_type="case",
            object_ref=case.tracking_code,
            reason=comment,
            data={"act": act.pk, "step": act.step, "on_behalf_of": on_behalf},
        )
        if deciding:
            _decide(actor, municipality, case, draft, on_behalf)
    case.refresh_from_db()
    return draft


def _decide(
    actor: Actor, municipality: Any, case: Case, draft: DraftDecision, on_behalf: int | None
) -> None:
    """The chain's end: the case's decision, in the last approver's name (the
    delegator's, when a delegate approved)."""
    from eloket.identity.selectors import officer_actor_in

    decider = actor
    if on_behalf is not None:
        decider = officer_actor_in(on_behalf, municipality) or actor
    case_transition(
        actor=decider,
        municipality=municipality,
        case=case,
        action=DECIDING_ACTION[Outcome(draft.outcome)],
        reason=draft.text,
    )


# --- Delegation


def delegation_create(
    *,
    actor: Actor,
    municipality: Any,
    delegate_username: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
) -> Delegation:
    """The officer's approvals are made by a named colleague of this municipality for a
    period (an absence). Acts made under it record both names."""
    from eloket.identity.models import OfficerRole

    user_id = _officer(actor)
    authorize(actor, municipality, Permission.CASE_HANDLE)
    if ends_at <= starts_at:
        raise ApplicationError(_("The period ends after it starts."), code="invalid_period")
    if ends_at - starts_at > dt.timedelta(days=366):
        raise ApplicationError(_("A delegation lasts at most a year."), code="invalid_period")
    role = (
        OfficerRole.objects.filter(
            municipality=municipality,
            user__username=delegate_username.strip(),
            user__is_active=True,
        )
        .select_related("user")
        .first()
    )
    if role is None:
        raise NotFound(_("This officer does not work for this municipality."))
    if role.user_id == user_id:
        raise ApplicationError(
            _("Delegate to a colleague, not to yourself."), code="self_delegation"
        )
    with transaction.atomic():
        delegation = Delegation.objects.create(
            municipality=municipality,
            delegator_id=user_id,
            delegate=role.user,
            starts_at=starts_at,
            ends_at=ends_at,
        )
        audit_record(
            actor=actor,
            municipality=municipality,
            action="approval.delegate",
            object_type="delegation",
            object_ref=str(delegation.pk),
            data={
                "to": role.user.username,
                "from": starts_at.isoformat(),
                "until": ends_at.isoformat(),
            },
        )
    return delegation


# --- Deadlines (the periodic tick)


def approvals_remind_and_escalate(*, actor: Actor, municipality: Any, now: dt.datetime) -> int:
    """For the drafts waiting at a step: past its reminder, an e-mail to whoever may
    approve it; past its deadline, an e-mail to the head of the department and a line on
    the timeline. Each once per step. The number of e-mails queued."""
    from eloket.outbox.email import email_put

    authorize(actor, municipality, Permission.CASE_HANDLE)
    sent = 0
    drafts = DraftDecision.objects.filter(
        municipality=municipality, status=DraftStatus.PENDING
    ).select_related("case", "case__case_type")
    for draft in drafts:
        step = draft.steps[draft.step]
        age = now - draft.step_started_at
        code = draft.case.tracking_code
        with transaction.atomic():
            if (
                "reminder_days" in step
                and draft.reminded_at is None
                and age >= dt.timedelta(days=step["reminder_days"])
            ):
                for user in step_approvers(municipality=municipality, draft=draft):
                    sent += (
                        email_put(
                            municipality=municipality,
                            to=user.email,
                            subject=_("A draft decision waits for your approval: %(code)s")
                            % {"code": code},
                            body=_(
                                "The draft decision on request %(code)s waits for your approval."
                            )
                            % {"code": code},
                            ref=f"approval:{draft.pk}:remind",
                        )
                        is not None
                    )
                DraftDecision.objects.filter(pk=draft.pk).update(reminded_at=now)
            if (
                "deadline_days" in step
                and draft.escalated_at is None
                and age >= dt.timedelta(days=step["deadline_days"])
            ):
                for user in heads_of(
                    municipality=municipality, department=draft.case.case_type.department
                ):
                    sent += (
                        email_put(
                            municipality=municipality,
                            to=user.email,
                            subject=_("An approval is late: %(code)s") % {"code": code},
                            body=_(
                                "The draft decision on request %(code)s is past the deadline of "
                                "its step “%(step)s”."
                            )
                            % {"code": code, "step": step["name"]},
                            ref=f"approval:{draft.pk}:escalate",
                        )
                        is not None
                    )
                DraftDecision.objects.filter(pk=draft.pk).update(escalated_at=now)
                case_timeline_add(
                    actor=actor,
                    municipality=municipality,
                    case=draft.case,
                    action="approval.escalate",
                    message=texts.ESCALATED,
                )
    return sent
