"""Signed acts (issue 13, point 3): on a service that makes a decision document, the
draft decision is rendered as that document when it is submitted (its code and QR code
printed in it) and signed by its drafter, every approval appends an incremental PAdES signature made with the
approving officer's own key (`documents.seal.approval_signers`), and the municipality's
seal closes it when the chain ends (`services.documents.service_document_for`).

A return takes the document back to where it was before the approvals it voids: each
approval keeps the document as it stood after its signature, so nothing is signed again
in someone else's name. A resubmission (the clerk edited the draft) renders it anew.

Called from `approvals.services` inside its transaction, after its checks."""

from typing import Any

from django.contrib.auth.models import User
from django.utils import translation
from django.utils.translation import gettext as _

from eloket.approvals.models import ActKind, ApprovalAct, DraftDecision, Outcome
from eloket.cases.handlers import case_handlers
from eloket.cases.models import Case
from eloket.common.actors import Actor
from eloket.documents.seal import approval_signers
from eloket.identity.selectors import role_label
from eloket.tenants.selectors import plugin_chosen


def draft_document_prepare(draft: DraftDecision, case: Case) -> None:
    """Render the draft as the decision document, unsigned, under a new code (when the
    kind of request makes one)."""
    prepared = case_handlers[case.case_type.handler].decision_document(
        case,
        granted=draft.outcome == Outcome.GRANT,
        text=draft.text,
        prepared_at=draft.submitted_at,
        approvals=draft.steps,
    )
    if prepared is None:
        draft.document_code, draft.unsigned_pdf, draft.pdf = "", None, None
        return
    draft.document_code = prepared.code
    draft.unsigned_pdf = draft.pdf = prepared.pdf


def _step_title(step: dict[str, Any], language: str) -> str:
    titles = step.get("title") or {}
    return str(titles.get(language) or titles.get("en") or step["name"])


def draft_sign(
    draft: DraftDecision, act: ApprovalAct, actor: Actor, *, delegator_label: str = ""
) -> None:
    """Append the approving officer's signature to the draft's document; the act keeps
    the document as it stands after it."""
    if draft.pdf is None:
        return
    municipality = draft.municipality
    step = draft.steps[act.step] if act.step < len(draft.steps) else {"name": str(act.step)}
    with translation.override(municipality.default_language):
        title = _step_title(step, municipality.default_language)
        if delegator_label:
            reason = _("Approved for %(delegator)s: %(step)s") % {
                "delegator": delegator_label,
                "step": title,
            }
        else:
            reason = _("Approved: %(step)s") % {"step": title}
    # The signatures already in the document: the valid approvals before this one.
    number = (
        ApprovalAct.objects.filter(draft=draft, kind=ActKind.APPROVE, void=False)
        .exclude(pk=act.pk)
        .count()
    )
    draft.pdf = act.pdf = _signed(draft, actor, field_name=f"Approval{number}", reason=reason)
    act.save(update_fields=["pdf"])


def draft_sign_prepared(draft: DraftDecision, act: ApprovalAct, actor: Actor) -> None:
    """The drafter's own signature on the document as submitted, before the approvers'
    (as the drafter's mark opens a Korean e-approval): who prepared the decision is
    verifiable too. It stays valid while the draft is not edited: a return within the
    chain rewinds to it, a return to the drafter renders the document anew."""
    if draft.pdf is None:
        return
    with translation.override(draft.municipality.default_language):
        reason = _("Prepared for approval")
    draft.pdf = draft.unsigned_pdf = act.pdf = _signed(
        draft, actor, field_name="Prepared", reason=reason
    )
    act.save(update_fields=["pdf"])


def _signed(draft: DraftDecision, actor: Actor, *, field_name: str, reason: str) -> bytes:
    municipality = draft.municipality
    with translation.override(municipality.default_language):
        role = str(role_label(actor.role))
        role = role[:1].upper() + role[1:]
    signer = approval_signers[
        plugin_chosen(
            municipality=municipality, registry="approval_signers", default="officer_keys"
        )
    ]
    username = User.objects.values_list("username", flat=True).get(pk=actor.user_pk)
    assert draft.pdf is not None
    return signer.sign(
        bytes(draft.pdf),
        municipality=municipality,
        username=username,
        name=actor.label,
        role=role,
        department=actor.department,
        field_name=field_name,
        reason=reason,
        location=municipality.display_name(),
    )


def draft_document_rewind(draft: DraftDecision) -> None:
    """After a return: the document as it stood after the last approval still valid (or
    as its drafter signed it, `unsigned_pdf`: "unsigned" by any approver)."""
    if draft.unsigned_pdf is None:
        return
    last = (
        ApprovalAct.objects.filter(draft=draft, kind=ActKind.APPROVE, void=False)
        .exclude(pdf=None)
        .order_by("-at", "-id")
        .values_list("pdf", flat=True)
        .first()
    )
    draft.pdf = last if last is not None else draft.unsigned_pdf


def signed_decision_of(case: Case) -> DraftDecision | None:
    """The approved draft whose signed document the case's decision is."""
    return (
        DraftDecision.objects.filter(case=case, status="approved")
        .exclude(pdf=None)
        .order_by("-decided_at", "-pk")
        .first()
    )
