"""Carrying out outbox messages: at once after the commit (`outbox_kick`), by the task
worker, and by the periodic job that takes up whatever is due (a retry after back-off, a
message whose worker died while sending it).

Each attempt first claims the message (state `sending`, a lease) in a short transaction,
so two workers never send it at the same time; then delivers it; then marks it `sent`,
or counts the failure and sets the next attempt (1, 2, 4, ... minutes, at most an hour),
or, after the last attempt or a permanent failure, `failed`: the back office shows it
and can send it again (`outbox.services.outbox_retry`).
"""

import datetime as dt
import logging
import re
import threading
import time

from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from eloket.common.observability import OUTBOX_FAILED, OUTBOX_SENT
from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.outbox.kinds import OutboxKind, outbox_kinds
from eloket.outbox.models import OutboxMessage, OutboxState

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_WAIT = dt.timedelta(hours=1)
BATCH = 500


def backoff(attempts: int) -> dt.timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_WAIT)


def _due(now: dt.datetime) -> Q:
    return Q(state=OutboxState.PENDING, next_attempt_at__lte=now) | Q(
        state=OutboxState.SENDING, lease_until__lt=now
    )


def _claim(message_id: int, now: dt.datetime) -> OutboxMessage | None:
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk=message_id)
            .first()
        )
        if message is None:
            return None
        message.state = OutboxState.SENDING
        message.attempts += 1
        message.lease_until = now + LEASE
        message.save(update_fields=["state", "attempts", "lease_until"])
    return message


def _claim_more(
    kind: str, first: OutboxMessage, now: dt.datetime, size: int
) -> list[OutboxMessage]:
    """`first` (claimed) and up to `size - 1` more due messages of `kind`, claimed in one
    short transaction (oldest first; rows another worker holds are skipped)."""
    with transaction.atomic():
        more = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now), kind=kind)
            .exclude(pk=first.pk)
            .order_by("next_attempt_at", "pk")[: size - 1]
        )
        if more:
            # Still due (SQLite takes no row locks: another worker may have claimed some).
            OutboxMessage.objects.filter(_due(now), pk__in=[m.pk for m in more]).update(
                state=OutboxState.SENDING, attempts=F("attempts") + 1, lease_until=now + LEASE
            )
            mine = set(
                OutboxMessage.objects.filter(
                    pk__in=[m.pk for m in more], state=OutboxState.SENDING, lease_until=now + LEASE
                ).values_list("pk", flat=True)
            )
            more = [m for m in more if m.pk in mine]
    for message in more:
        message.state = OutboxState.SENDING
        message.attempts += 1
        message.lease_until = now + LEASE
    return [first, *more]


def _deliver_batch(kind: OutboxKind, messages: list[OutboxMessage]) -> None:
    try:
        results = kind.deliver_many(messages)
    except Exception as failure:
        results = {message.pk: failure for message in messages}
    sent = [m for m in messages if m.pk in results and results[m.pk] is None]
    if sent:
        OutboxMessage.objects.filter(pk__in=[m.pk for m in sent]).update(
            state=OutboxState.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
        )
        for message in sent:
            message.state = OutboxState.SENT
        OUTBOX_SENT.labels(messages[0].kind).inc(len(sent))
    for message in messages:
        if message.state == OutboxState.SENT:
            continue
        error = results.get(message.pk) or LookupError("no outcome")
        _mark_failed(message, error, permanent=kind.is_permanent(error))


def _mark_sent(message: OutboxMessage) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        state=OutboxState.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    message.state = OutboxState.SENT
    OUTBOX_SENT.labels(message.kind).inc()


ADDRESS = re.compile(r"[^\s<>()'\"@,;:]+@[^\s<>()'\",;:]+")
LONG_NUMBER = re.compile(r"\d{9,}")


def redacted(error: str) -> str:
    """An error as the back office shows it: no e-mail address, no long number (a mail
    server names the address it refused; a national number must never show)."""
    return LONG_NUMBER.sub("…", ADDRESS.sub("…@…", error))


def _mark_failed(message: OutboxMessage, exc: Exception, *, permanent: bool) -> None:
    now = timezone.now()
    final = permanent or message.attempts >= message.max_attempts
    message.state = OutboxState.FAILED if final else OutboxState.PENDING
    message.next_attempt_at = now + backoff(message.attempts)
    message.lease_until = None
    message.last_error = redacted(f"{type(exc).__name__}: {exc}")[:1000]
    message.save(update_fields=["state", "next_attempt_at", "lease_until", "last_error"])
    OUTBOX_FAILED.labels(message.kind, "yes" if final else "no").inc()
    # The message's id and kind only: its payload may hold personal data.
    log.warning(
        "outbox message %s (%s) attempt %s failed%s: %s",
        message.pk,
        message.kind,
        message.attempts,
        " for good" if final else "",
        type(exc).__name__,
    )
    if not final:
        _schedule_retry(message)


def outbox_deliver(message_id: int, *, now: dt.datetime | None = None) -> str:
    """One attempt at one message, if it is due; returns its state afterwards (or
    "skipped" when it was not due, already sent, or another worker holds it)."""
    message = _claim(message_id, now or timezone.now())
    if message is None:
        return "skipped"
    kind = outbox_kinds.get(message.kind)
    if kind is not None and kind.batch_size > 1 and not kind.transactional:
        # Others of the kind that are due go along (one request for several).
        _deliver_batch(
            kind, _claim_more(message.kind, message, now or timezone.now(), kind.batch_size)
        )
        return str(message.state)
    try:
        if kind is None:
            raise LookupError(f"no kind {message.kind!r} is registered")
        if kind.transactional:
            with transaction.atomic():
                kind.deliver(message)
                _mark_sent(message)
        else:
            kind.deliver(message)
            _mark_sent(message)
    except Exception as exc:
        _mark_failed(message, exc, permanent=kind is None or kind.is_permanent(exc))
    return str(message.state)


def outbox_deliver_due(
    now: dt.datetime | None = None, *, limit: int = BATCH, of_kind: str | None = None
) -> int:
    """Take up what is due (oldest first; of one kind if given); returns how many were
    sent."""
    now = now or timezone.now()
    due_now = OutboxMessage.objects.filter(_due(now))
    if of_kind is not None:
        due_now = due_now.filter(kind=of_kind)
    due = list(due_now.order_by("next_attempt_at", "pk").values_list("pk", "kind")[:limit])
    sent = 0
    taken: set[int] = set()  # claimed along with an earlier one of a batched kind
    for pk, kind_name in due:
        if pk in taken:
            continue
        kind = outbox_kinds.get(kind_name)
        if kind is not None and kind.batch_size > 1 and not kind.transactional:
            first = _claim(pk, now)
            if first is None:
                continue
            batch = _claim_more(kind_name, first, now, kind.batch_size)
            taken.update(m.pk for m in batch)
            _deliver_batch(kind, batch)
            sent += sum(m.state == OutboxState.SENT for m in batch)
        else:
            sent += outbox_deliver(pk, now=now) == OutboxState.SENT
    return sent


@task()
def deliver_task(message_id: int) -> str:
    return outbox_deliver(message_id)


def schedule_delivery(message: OutboxMessage) -> None:
    """A message due later: a deferred task for then, where the backend defers (else the
    periodic job takes it up)."""
    _schedule_retry(message)


def _schedule_retry(message: OutboxMessage) -> None:
    backend = deliver_task.get_backend()
    if not getattr(backend, "supports_defer", False):
        return  # the periodic job takes it up
    try:
        deliver_task.using(run_after=message.next_attempt_at).enqueue(message.pk)
    except Exception:
        log.exception("could not schedule the retry of outbox message %s", message.pk)


# A batched kind's commits within this many seconds share one task (see outbox_kick).
KICK_WINDOW = 1.0
# When this process last queued each batched kind's task (monotonic seconds).
_kicked: dict[str, float] = {}
_kicked_lock = threading.Lock()


@task()
def deliver_kind_task(kind: str) -> int:
    """Everything of one batched kind that is due, in its batches."""
    sent = 0
    while got := outbox_deliver_due(of_kind=kind):
        sent += got
    return sent


def _window_open(kind: str) -> bool:
    """True for the first commit of `kind` in this process since KICK_WINDOW passed."""
    now = time.monotonic()
    with _kicked_lock:
        if now - _kicked.get(kind, -KICK_WINDOW) < KICK_WINDOW:
            return False
        _kicked[kind] = now
        return True


def outbox_kick(message_id: int, *, inline: bool, kind: str = "", batched: bool = False) -> None:
    """Right after the commit: deliver inline kinds here and now, queue the others. A
    failure here is no loss: the message stays due for the periodic job.

    A batched kind (`batch_size` > 1: the register's mutations, 50 to a request) queues
    one task per `KICK_WINDOW` and process, run once the window has passed, not one task
    per commit: each would claim the batch of what is due, and the next 49 would find
    nothing to do, each a row the worker reads and marks. A commit inside the window
    happened before that task starts (it runs after the window), so the task takes it
    along. Kept per process, not in the cache: nothing to lose when Redis is down, and a
    few processes make a few tasks a second at most."""
    try:
        if inline:
            outbox_deliver(message_id)
        elif batched and getattr(deliver_kind_task.get_backend(), "supports_defer", False):
            if _window_open(kind):
                deliver_kind_task.using(
                    run_after=timezone.now() + dt.timedelta(seconds=KICK_WINDOW)
                ).enqueue(kind)
        else:
            deliver_task.enqueue(message_id)
    except Exception:
        log.exception("outbox message %s waits for the next delivery run", message_id)


@periodic_jobs.register("outbox_sent")
class DeliverDue(PeriodicJob):
    verbose_name = "send what waits in the outbox"

    def run(self, now: dt.datetime) -> int:
        return outbox_deliver_due(now)
