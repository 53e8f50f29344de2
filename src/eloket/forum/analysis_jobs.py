"""When the analysis runs (issue 10, point 8: heavy work is the worker's, once per change,
and everybody is served its last result).

- **A change** of what the analysis reads (`topic_changed`: a vote cast, changed or
  withdrawn; an opinion posted, edited, hidden or restored; a participant's first act; an
  import) counts one in the topic's `data_version`, in the same UPDATE as its counters.
  The first change while nothing is due also sets `analysis_due_at` to now +
  `ELOKET_FORUM_ANALYSIS_DELAY` and enqueues one `analyse_topic` task for that moment, in
  the same transaction (the database backend writes the task there). Later changes find
  the topic due and add nothing: a burst of a thousand votes is one run.
- **The task** owns the run its due moment names (the moment is its token: a task whose
  token is no longer the topic's stops at once). It runs the analysis when the data
  changed since the stored one, then clears the due mark, or, when changes came in
  while it ran, sets the next due moment and enqueues the next task. While it runs the
  mark stays set, so changes start no second run. One run per topic at a time (a lease
  in the shared cache); should two run anyway, `analysis_run` stores a result only if
  what it read is not older than what is stored.
- **The periodic job** takes up what is due and was lost (a worker killed mid-run, a task
  never written): a due mark `LOST_AFTER` old. A run that fails moves the mark an hour
  on, so a topic the analysis cannot handle costs one attempt an hour, not one a tick.
  Where the task backend cannot defer (the tests' immediate backend), the job takes up
  every due topic: nothing else would.
- **Readers** (pages, the API: `forum.selectors.analysis_shown`) read the stored result
  and whether newer changes are being counted. No request computes an analysis; an
  officer's "compute again" enqueues one.
"""

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.tasks import task
from django.utils import timezone

from eloket.common.schedule import PeriodicJob, periodic_jobs
from eloket.forum.models import Analysis, Topic

log = logging.getLogger(__name__)

TASK_PATH = "eloket.forum.analysis_jobs.analyse_topic"
LEASE_SECONDS = 30 * 60  # a run holding a topic longer than this is taken for dead
LOST_AFTER = dt.timedelta(minutes=10)  # a due mark this old lost its task
BATCH = 50  # due topics taken up per periodic run
AFTER_FAILURE = dt.timedelta(hours=1)  # a run that failed is tried again this much later


def delay() -> dt.timedelta:
    """How long the first change waits for the others before the run that takes them in."""
    return dt.timedelta(seconds=max(0, int(settings.ELOKET_FORUM_ANALYSIS_DELAY)))


def _defers() -> bool:
    return bool(getattr(analyse_topic.get_backend(), "supports_defer", False))


def topic_changed(topic_id: int, **counters: Any) -> None:
    """Count one change of the topic's data, with the counters' updates in the same UPDATE
    (e.g. `vote_count=F("vote_count") + 1`), and make sure a run is due. Called inside the
    change's transaction."""
    Topic.objects.filter(pk=topic_id).update(data_version=F("data_version") + 1, **counters)
    analysis_wanted(topic_id)


def analysis_wanted(topic_id: int, *, now: bool = False, force: bool = False) -> bool:
    """Make sure a run of the topic's analysis is due: after the delay (a change), or at
    once (`now`: an officer's button, the demo; `force` computes even with no change).
    Only a call that finds nothing due (or, with `now`, a run due later) enqueues a task;
    True when this one did. A run already due or under way takes in this call's change."""
    moment = timezone.now()
    due = moment if now else moment + delay()
    waiting = Q(analysis_due_at__isnull=True)
    if now:
        waiting |= Q(analysis_due_at__gt=due)
    if not Topic.objects.filter(waiting, pk=topic_id).update(analysis_due_at=due):
        return False
    _enqueue(topic_id, due, deferred=not now, force=force)
    return True


def _enqueue(topic_id: int, due: dt.datetime, *, deferred: bool, force: bool = False) -> None:
    """The task for the run due then. Where the backend cannot defer, a deferred run is
    left to the periodic job. A failure to enqueue loses nothing: the due mark stays,
    and the periodic job takes it up."""
    if deferred and not _defers():
        return
    job = analyse_topic.using(run_after=due) if deferred else analyse_topic
    try:
        with transaction.atomic():  # a savepoint: the change commits whatever happens here
            job.enqueue(topic_id, due.isoformat(), force)
    except Exception:
        log.exception("could not enqueue the analysis of topic %s", topic_id)


@task()
def analyse_topic(topic_id: int, due: str, force: bool = False) -> str:
    return analysis_take_up(topic_id, due=dt.datetime.fromisoformat(due), force=force)


def _lease(topic_id: int) -> str:
    return f"forum-analysis-run:{topic_id}"


def analysis_take_up(topic_id: int, *, due: dt.datetime, force: bool = False) -> str:
    """The run due at `due`, if it is still the topic's. Returns what happened (for the
    worker's record): analysed, current (nothing changed), not-mine, busy or gone."""
    if not Topic.objects.filter(pk=topic_id, analysis_due_at=due).exists():
        return "not-mine"  # done by another task, or a later request took it over
    if not cache.add(_lease(topic_id), 1, timeout=LEASE_SECONDS):
        return "busy"  # another task runs it; the mark stays, the periodic job looks again
    try:
        # Again under the lease: a task with the same token may have just finished.
        topic = Topic.objects.filter(pk=topic_id, analysis_due_at=due).first()
        if topic is None:
            return "not-mine"
        seen, outcome = topic.data_version, "current"
        if (
            force
            or topic.data_version > topic.analysed_version
            or not Analysis.objects.filter(topic=topic).exists()
        ):
            # Imported when an analysis runs: numpy and scikit-learn take seconds to load,
            # and every process (server, worker, each command) imports this module.
            from eloket.forum.analysis import analysis_run

            try:
                seen, outcome = analysis_run(topic).data_version, "analysed"
            except Exception:
                # Seconds of work that failed: not again at once, nor every few minutes.
                # The mark moves on; the periodic job takes it up LOST_AFTER after that.
                Topic.objects.filter(pk=topic_id, analysis_due_at=due).update(
                    analysis_due_at=timezone.now() + AFTER_FAILURE
                )
                log.exception("the analysis of topic %s failed", topic_id)
                raise
        _finish(topic_id, due, seen)
        return outcome
    finally:
        cache.delete(_lease(topic_id))


def _finish(topic_id: int, due: dt.datetime, seen: int) -> None:
    """Clear the due mark, or, when the data changed after the run read it, set the next
    one and enqueue its task (changes during the run found the mark set and left it to
    this run)."""
    with transaction.atomic():
        if Topic.objects.filter(pk=topic_id, analysis_due_at=due, data_version__lte=seen).update(
            analysis_due_at=None
        ):
            return
        following = timezone.now() + delay()
        if Topic.objects.filter(pk=topic_id, analysis_due_at=due).update(analysis_due_at=following):
            _enqueue(topic_id, following, deferred=True)


def analyses_take_up_due(now: dt.datetime | None = None, *, limit: int = BATCH) -> int:
    """Enqueue the runs that are due and were lost (or, without deferred tasks, every due
    run: the immediate backend then runs them here). Returns how many."""
    now = now or timezone.now()
    overdue = now - LOST_AFTER if _defers() else now
    due = list(
        Topic.objects.filter(analysis_due_at__lte=overdue)
        .order_by("analysis_due_at")
        .values_list("pk", "analysis_due_at")[:limit]
    )
    for topic_id, moment in due:
        if moment is not None:  # (the filter says so; for the type checker)
            _enqueue(topic_id, moment, deferred=False)
    return len(due)


@periodic_jobs.register("forum_analyses")
class AnalysesDue(PeriodicJob):
    verbose_name = "analyse the forum topics whose analysis is due and was not taken up"

    def run(self, now: dt.datetime) -> int:
        return analyses_take_up_due(now)
