"""Reads of the outbox for the back office: one municipality's messages."""

from typing import Any

from django.db.models import QuerySet

from eloket.outbox.kinds import ref_scopes
from eloket.outbox.models import OutboxMessage, OutboxState


def outbox_messages(
    *, municipality: Any, ref: str = "", states: list[str] | None = None
) -> QuerySet[OutboxMessage]:
    qs = OutboxMessage.objects.filter(municipality=municipality)
    if ref:
        qs = qs.filter(ref=ref)
    if states:
        qs = qs.filter(state__in=states)
    return qs


def outbox_trouble(*, municipality: Any, actor: Any) -> QuerySet[OutboxMessage]:
    """Failed messages, and those waiting to be tried again after a failure, that the
    actor may see (an officer: about what their department handles)."""
    qs = outbox_messages(municipality=municipality).filter(
        state__in=[OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENDING],
        attempts__gt=0,
    )
    for scope in ref_scopes:
        qs = qs.exclude(ref__in=scope.hidden_refs(actor=actor, municipality=municipality))
    return qs


def outbox_message_get(*, municipality: Any, message_id: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(municipality=municipality, pk=message_id).first()
