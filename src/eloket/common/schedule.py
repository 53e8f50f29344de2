"""Periodic work on the task worker (django-tasks-db has no scheduler): one `tick` task
that does what is due and enqueues itself again. `eloket run` (and any deployment, with
`eloket schedule`) makes sure one is waiting.

What is due comes from the `periodic_jobs` registry: each app registers its jobs (the
forum opens and closes topics, petitions close, the outbox sends what waits, ...), so
this module knows none of them. A job with `daily_after_hour` runs once a day, after
that local hour, on one worker only (a `ScheduleMark` row under a lock).
"""

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from eloket.common.registry import Plugin, Registry

log = logging.getLogger(__name__)

TICK = dt.timedelta(minutes=5)
TICK_PATH = "eloket.common.schedule.tick"


class PeriodicJob(Plugin):
    """One kind of due work. `run` returns how many things it did (for the log)."""

    daily_after_hour: int | None = None

    def run(self, now: dt.datetime) -> int:
        raise NotImplementedError


periodic_jobs: Registry[PeriodicJob] = Registry("periodic_jobs", description="periodic job")


def _daily_due(job_id: str, hour: int, now: dt.datetime) -> bool:
    from eloket.common.models import ScheduleMark

    local = timezone.localtime(now)
    if local.hour < hour:
        return False
    with transaction.atomic():
        mark = ScheduleMark.objects.select_for_update().filter(name=job_id).first()
        if mark is not None and timezone.localtime(mark.last_run).date() >= local.date():
            return False
        ScheduleMark.objects.update_or_create(name=job_id, defaults={"last_run": now})
    return True


def run_due_work(now: dt.datetime | None = None) -> dict[str, int]:
    """Run every registered job that is due; one failing job does not stop the others."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for job in periodic_jobs:
        if job.daily_after_hour is not None and not _daily_due(job.id, job.daily_after_hour, now):
            done[job.id] = 0
            continue
        try:
            done[job.id] = job.run(now)
        except Exception:  # the next tick tries again
            log.exception("periodic job %s failed", job.id)
            done[job.id] = 0
    return done


@task()
def tick() -> dict[str, Any]:
    try:
        return run_due_work()
    finally:
        backend = tick.get_backend()
        if getattr(backend, "supports_defer", False):
            tick.using(run_after=timezone.now() + TICK).enqueue()


def schedule_ensure() -> bool:
    """Enqueue a tick unless one is already waiting. True when one was enqueued."""
    backend = tick.get_backend()
    if not getattr(backend, "supports_defer", False):
        return False
    from django_tasks_db.models import DBTaskResult

    waiting = (
        DBTaskResult.objects.ready().filter(task_path=TICK_PATH).exists()
        or DBTaskResult.objects.filter(
            task_path=TICK_PATH, status="READY", run_after__gt=timezone.now()
        ).exists()
    )
    if waiting:
        return False
    tick.enqueue()
    return True
