"""Putting a message in the outbox, inside the caller's transaction."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from eloket.outbox.kinds import outbox_kinds
from eloket.outbox.models import OutboxMessage


def outbox_put(
    *,
    municipality: Any,
    kind: str,
    payload: dict[str, Any],
    ref: str = "",
    not_before: dt.datetime | None = None,
) -> OutboxMessage:
    """Write the message; once the caller's transaction commits, it is sent (at once in
    this process for inline kinds, else by the task worker). If the transaction rolls
    back, the message was never there."""
    registered = outbox_kinds[kind]  # an unknown kind fails here, not at sending
    message = OutboxMessage.objects.create(
        municipality=municipality,
        kind=kind,
        ref=ref[:80],
        payload=payload,
        max_attempts=registered.max_attempts,
        next_attempt_at=not_before or timezone.now(),
    )
    if not_before is None or not_before <= timezone.now():
        from eloket.outbox.delivery import outbox_kick

        transaction.on_commit(lambda: outbox_kick(message.pk, inline=registered.inline))
    return message
