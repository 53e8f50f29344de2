"""Putting a message in the outbox, inside the caller's transaction."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from eloket.common.rows import insert_row
from eloket.outbox.kinds import outbox_kinds
from eloket.outbox.models import OutboxMessage, OutboxState


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
    # `OutboxMessage.objects.create`, composed once (a hot path: docs/adr/0007)
    message = insert_row(
        OutboxMessage,
        dict(
            municipality=municipality,
            kind=kind,
            ref=ref[:80],
            payload=payload,
            max_attempts=registered.max_attempts,
            next_attempt_at=not_before or timezone.now(),
        ),
    )
    from eloket.outbox.delivery import outbox_kick, schedule_delivery

    if not_before is None or not_before <= timezone.now():
        batched = registered.batch_size > 1 and not registered.transactional
        transaction.on_commit(
            lambda: outbox_kick(message.pk, inline=registered.inline, kind=kind, batched=batched)
        )
    else:  # the worker takes it up then (or the periodic job, without deferred tasks)
        transaction.on_commit(lambda: schedule_delivery(message))
    return message


def outbox_take_back(*, municipality: Any, kind: str, ref: str, merge_key: str) -> list[Any]:
    """Withdraw the messages of `kind` about `ref` with `merge_key` in their payload that
    no worker has touched yet, and return their payloads: the caller sends one message
    in their place (e.g. one e-mail for several steps of a request made in a minute). A
    message a worker holds or tried is left alone."""
    waiting = OutboxMessage.objects.select_for_update(skip_locked=True).filter(
        municipality=municipality,
        kind=kind,
        ref=ref[:80],
        state=OutboxState.PENDING,
        attempts=0,
        lease_until__isnull=True,
        payload__merge_key=merge_key,
    )
    payloads = []
    with transaction.atomic():
        for message in waiting.order_by("pk"):
            payloads.append(message.payload)
            message.delete()
    return payloads
