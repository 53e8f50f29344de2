"""Reads of the outbox for the back office: one municipality's messages."""

from typing import Any

from django.db.models import QuerySet

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


def outbox_trouble(*, municipality: Any) -> QuerySet[OutboxMessage]:
    """Failed messages, and those waiting to be tried again after a failure."""
    return outbox_messages(municipality=municipality).filter(
        state__in=[OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENDING],
        attempts__gt=0,
    )


def outbox_message_get(*, municipality: Any, message_id: int) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(municipality=municipality, pk=message_id).first()
