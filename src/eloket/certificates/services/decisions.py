"""Officers' decisions on orders, the citizen's answers and cancellation, and who
handles an order. Every step goes through the case engine, which checks the actor's
right on the municipality and the order's current status."""

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from eloket.cases.models import Case
from eloket.cases.services import case_assign, case_message_add, case_transition
from eloket.certificates import messages as texts
from eloket.certificates.handler import OrderStatus
from eloket.certificates.selectors import order_of
from eloket.certificates.services.processing import order_issue
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.common.permissions import Permission, authorize, same_municipality
from eloket.common.text import refuse_hidden_characters
from eloket.tenants.models import Module
from eloket.tenants.modules import module_check


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    REQUEST_INFO = "request_info"
    ALL = (APPROVE, REJECT, REQUEST_INFO)


def order_decide(
    *,
    actor: Actor,
    municipality: Any,
    case: Case,
    decision: str,
    reason: str = "",
    warnings_confirmed: bool = False,
) -> Case:
    """An officer's decision. Approving issues the document in the same transaction: if
    it cannot be made (the register lacks data), nothing changes and the officer is told.
    If the document would print something as unknown (the review page's warnings),
    approving needs `warnings_confirmed`: else nothing changes and the officer is told
    what to check."""
    module_check(municipality, Module.CERTIFICATES)
    same_municipality(municipality, case)
    authorize(actor, municipality, Permission.CASE_HANDLE, department=case.case_type.department)
    reason = reason.strip()
    refuse_hidden_characters(reason)
    if decision not in Decision.ALL:
        raise ApplicationError(
            _("Decide approve, reject or request_info."), code="invalid_decision"
        )
    with transaction.atomic():
        if decision == Decision.APPROVE:
            case_transition(actor=actor, municipality=municipality, case=case, action="approve")
            order_issue(
                actor=actor,
                municipality=municipality,
                case=case,
                order=order_of(municipality=municipality, case=case),
                warnings_confirmed=warnings_confirmed,
            )
        elif decision == Decision.REJECT:
            case_transition(
                actor=actor, municipality=municipality, case=case, action="reject", reason=reason
            )
        else:
            case_transition(
                actor=actor,
                municipality=municipality,
                case=case,
                action="request_info",
                reason=reason,
            )
            case_message_add(actor=actor, municipality=municipality, case=case, text=reason)
    case.refresh_from_db()
    return case


def order_reply(*, actor: Actor, municipality: Any, case: Case, text: str) -> Case:
    """The citizen writes to the municipality; an answer to a question resumes the review."""
    with transaction.atomic():
        case_message_add(actor=actor, municipality=municipality, case=case, text=text)
        if case.status == OrderStatus.NEEDS_INFORMATION:
            case_transition(actor=actor, municipality=municipality, case=case, action="resume")
    return case


def order_cancel(*, actor: Actor, municipality: Any, case: Case) -> Case:
    case_transition(
        actor=actor, municipality=municipality, case=case, action="cancel", message=texts.CANCELLED
    )
    return case


def order_claim(
    *, actor: Actor, municipality: Any, case: Case, assignee: User | None = None
) -> Case:
    """Take an order (or, for a head of department, give it to a colleague)."""
    return case_assign(actor=actor, municipality=municipality, case=case, assignee=assignee)
