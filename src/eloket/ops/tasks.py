"""The task worker's side of operations: its heartbeat, and the request id carried from
the request that enqueued a task into the log lines of the task's run.

The heartbeat is a `ScheduleMark` row (`worker-heartbeat`) the worker writes on every
periodic tick (every five minutes, `common/schedule.py`) and after a task, at most every
HEARTBEAT_EVERY; /readyz finds the worker gone when it is older than
ELOKET_READYZ_HEARTBEAT_SECONDS."""

import datetime as dt
import logging
import time
from contextvars import Token
from typing import Any

from django.dispatch import receiver
from django.tasks.signals import task_enqueued, task_finished, task_started
from django.utils import timezone

from eloket.common.models import ScheduleMark
from eloket.common.observability import current_request_id, request_id_var
from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.ops.models import TaskOrigin

log = logging.getLogger(__name__)

HEARTBEAT = "worker-heartbeat"
HEARTBEAT_EVERY = 30.0  # seconds between two heartbeats written after tasks
_last_beat = 0.0
_tokens: dict[str, Token[str]] = {}


def heartbeat_write(now: dt.datetime | None = None) -> None:
    global _last_beat
    ScheduleMark.objects.update_or_create(
        name=HEARTBEAT, defaults={"last_run": now or timezone.now()}
    )
    _last_beat = time.monotonic()


def heartbeat_last() -> dt.datetime | None:
    mark = ScheduleMark.objects.filter(name=HEARTBEAT).first()
    return mark.last_run if mark is not None else None


@periodic_jobs.register("worker_heartbeat")
class Heartbeat(PeriodicJob):
    verbose_name = "the task worker's heartbeat (for /readyz)"

    def run(self, now: dt.datetime) -> int:
        heartbeat_write(now)
        # Origins of tasks that never ran to the end (a worker killed in one).
        TaskOrigin.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
        return 1


def _queued(sender: Any) -> bool:
    """Only the database backend queues for another process: an immediate one runs the
    task in the request, under its id already. (The worker sends its signals with the
    backend itself as sender, the backend's enqueue with its class.)"""
    from django_tasks_db.backend import DatabaseBackend

    backend = sender if isinstance(sender, type) else type(sender)
    return issubclass(backend, DatabaseBackend)


@receiver(task_enqueued)
def remember_origin(sender: Any, task_result: Any, **kwargs: Any) -> None:
    request_id = current_request_id()
    if not request_id or not _queued(sender):
        return
    try:
        TaskOrigin.objects.update_or_create(
            task_id=str(task_result.id), defaults={"request_id": request_id}
        )
    except Exception:  # never fail an enqueue for a log line's sake
        log.warning("could not note the request of task %s", task_result.id)


@receiver(task_started)
def take_up_origin(sender: Any, task_result: Any, **kwargs: Any) -> None:
    task_id = str(task_result.id)
    if not _queued(sender):
        return
    origin = TaskOrigin.objects.filter(task_id=task_id).values_list("request_id", flat=True)
    request_id = next(iter(origin), "")
    if request_id:
        _tokens[task_id] = request_id_var.set(request_id)


@receiver(task_finished)
def drop_origin(sender: Any, task_result: Any, **kwargs: Any) -> None:
    task_id = str(task_result.id)
    token = _tokens.pop(task_id, None)
    if token is not None:
        request_id_var.reset(token)
        TaskOrigin.objects.filter(task_id=task_id).delete()
    if not _queued(sender):
        return
    from eloket.ops.metrics import TASKS_RUN

    TASKS_RUN.labels(status=str(getattr(task_result, "status", "")).lower()).inc()
    if time.monotonic() - _last_beat >= HEARTBEAT_EVERY:
        try:
            heartbeat_write()
        except Exception:
            log.warning("could not write the worker's heartbeat")
