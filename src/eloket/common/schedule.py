"""Periodic work on the task worker (django-tasks-db has no scheduler): one `tick` task
that does what is due and enqueues itself again. `eloket run` (and any deployment, with
`eloket schedule`) makes sure one is waiting.

Each tick: topics open and close on their dates, petitions past their signing period
close, certificate orders a crash left half-way are taken up, and once a day (after
07:00) the forum's daily digests go out.
"""

import datetime as dt
import logging

from django.db import transaction
from django.tasks import task
from django.utils import timezone

log = logging.getLogger(__name__)

TICK = dt.timedelta(minutes=5)
DIGEST_HOUR = 7
TICK_PATH = "eloket.common.schedule.tick"


def run_due_work(now: dt.datetime | None = None) -> dict[str, int]:
    from eloket.certificates.services import orders_process_pending
    from eloket.common.models import ScheduleMark
    from eloket.forum.notify import send_digests
    from eloket.forum.services import topics_advance_on_schedule
    from eloket.petitions.services import petitions_expire

    now = now or timezone.now()
    done = {
        "topics_moved": topics_advance_on_schedule(now),
        "petitions_closed": petitions_expire(now),
        "orders_taken_up": orders_process_pending(),
        "digests": 0,
    }
    local = timezone.localtime(now)
    if local.hour >= DIGEST_HOUR:
        with transaction.atomic():
            mark = ScheduleMark.objects.select_for_update().filter(name="digest").first()
            if mark is None or timezone.localtime(mark.last_run).date() < local.date():
                ScheduleMark.objects.update_or_create(name="digest", defaults={"last_run": now})
                done["digests"] = send_digests()
    return done


@task()
def tick() -> dict[str, int]:
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
