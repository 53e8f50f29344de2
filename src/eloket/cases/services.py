"""Writes of cases: creation, status transitions (checked against TRANSITIONS), messages
and assignment. Every change is a history row; notifications go out after commit."""

import secrets
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eloket.cases import messages as texts
from eloket.cases.models import (
    TRACKING_ALPHABET,
    Author,
    Case,
    CaseMessage,
    Status,
    StatusChange,
    transitions_for,
)
from eloket.common.actors import Actor
from eloket.common.errors import ApplicationError
from eloket.tenants.models import Municipality

TRACKING_LENGTH = 8
MAX_MESSAGE = 4000

# Called after commit with every new history row (notifications subscribes).
ChangeListener = Callable[[StatusChange], None]
_listeners: list[ChangeListener] = []


def on_status_change(listener: ChangeListener) -> None:
    _listeners.append(listener)


class WrongState(ApplicationError):
    code = "wrong_state"
    status = 409


def new_tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def normalise_tracking_code(raw: str) -> str:
    return "".join(ch for ch in str(raw).upper() if ch.isalnum())


def _history(
    case: Case,
    *,
    from_status: str,
    to_status: str,
    actor: Actor,
    message: str,
    params: dict[str, Any] | None = None,
    reason: str = "",
) -> StatusChange:
    change = StatusChange.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        at=timezone.now(),
        from_status=from_status,
        to_status=to_status,
        actor_kind=str(actor.kind),
        actor_label=actor.label[:200],
        actor_user_id=actor.user_id,
        message=message,
        params=params or {},
        reason=reason,
    )
    transaction.on_commit(lambda: [listener(change) for listener in _listeners])
    return change


def case_create(
    *,
    municipality: Municipality,
    kind: str,
    requester: User,
    language: str,
    contact_email: str,
    title: str,
    due_at: Any,
    actor: Actor,
    what: str,
) -> Case:
    """A new case in `submitted`, with the first line of its timeline."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    municipality=municipality,
                    kind=kind,
                    tracking_code=new_tracking_code(),
                    requester=requester,
                    language=language,
                    contact_email=contact_email,
                    title=title[:200],
                    due_at=due_at,
                )
                break
        except IntegrityError:  # a tracking code drawn twice: draw again
            continue
    else:  # pragma: no cover (27^8 codes)
        raise ApplicationError(_("Please try again."), code="busy")
    _history(
        case,
        from_status="",
        to_status=Status.SUBMITTED,
        actor=actor,
        message=texts.RECEIVED,
        params={"what": what},
    )
    return case


def case_transition(
    *,
    case: Case,
    to_status: str,
    actor: Actor,
    message: str,
    params: dict[str, Any] | None = None,
    reason: str = "",
) -> StatusChange:
    """Move a case to `to_status` if its current status allows it; else WrongState."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if to_status not in transitions_for(locked.kind).get(locked.status, set()):
            raise WrongState(
                _("This request is %(status)s: it cannot become %(target)s.")
                % {
                    "status": Status(locked.status).label,
                    "target": Status(to_status).label,
                }
            )
        from_status = locked.status
        locked.status = to_status
        if to_status in (Status.DELIVERED, Status.REJECTED, Status.CANCELLED, Status.ANSWERED):
            locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        case.status, case.closed_at = locked.status, locked.closed_at
        return _history(
            locked,
            from_status=from_status,
            to_status=to_status,
            actor=actor,
            message=message,
            params=params,
            reason=reason,
        )


def case_message_add(*, case: Case, author: str, actor: Actor, text: str) -> CaseMessage:
    text = text.strip()
    if not text:
        raise ApplicationError(_("Write a message first."), code="empty_message")
    if len(text) > MAX_MESSAGE:
        raise ApplicationError(
            _("A message is at most %(n)d characters.") % {"n": MAX_MESSAGE},
            code="message_too_long",
        )
    return CaseMessage.objects.create(
        municipality_id=case.municipality_id,
        case=case,
        at=timezone.now(),
        author=author,
        author_user_id=actor.user_id,
        author_label=actor.label[:200],
        text=text,
    )


def case_assign(*, case: Case, officer: User | None) -> Case:
    case.assigned_to = officer
    case.save(update_fields=["assigned_to", "updated_at"])
    return case


__all__ = [
    "Author",
    "WrongState",
    "case_assign",
    "case_create",
    "case_message_add",
    "case_transition",
    "normalise_tracking_code",
    "on_status_change",
]
