"""Prometheus metrics (prometheus-client; docs/operations.md).

Per process: requests (count and latency per route and municipality), unhandled errors,
tasks run; the domain's counters live in `common/observability.py`. With
PROMETHEUS_MULTIPROC_DIR set, every process of a node (gunicorn's workers, the task
worker) writes its values to files there and /metrics adds them up. The task queue's
depth and age are read from the database at each scrape: the same on every node."""

import datetime as dt
import os
from collections.abc import Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

REQUESTS = Counter(
    "eloket_http_requests",
    "HTTP requests by route (the URL pattern's name), municipality, method and status class.",
    ["route", "municipality", "method", "status"],
)
LATENCY = Histogram(
    "eloket_http_request_duration_seconds",
    "Time to answer a request, by route and municipality.",
    ["route", "municipality"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ERRORS = Counter(
    "eloket_http_exceptions",
    "Requests that ended in an unhandled exception (a 500), by route and exception class.",
    ["route", "exception"],
)
TASKS_RUN = Counter("eloket_tasks_run", "Tasks the worker ran, by outcome.", ["status"])

CONTENT_TYPE = CONTENT_TYPE_LATEST


def _age(oldest: dt.datetime | None, now: dt.datetime) -> float:
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def queue_state(now: dt.datetime | None = None) -> dict[str, float]:
    """Tasks due and not taken up, and outbox messages due and not sent: how many, and
    how long the oldest has waited (seconds)."""
    from django.db.models import Min
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult, get_date_max

    from eloket.outbox.models import OutboxMessage, OutboxState

    now = now or timezone.now()
    ready = DBTaskResult.objects.ready()
    depth = ready.count()
    # A task enqueued to run at once carries the far-future date as run_after; a deferred
    # one has waited since its run_after.
    oldest_now = ready.filter(run_after=get_date_max()).aggregate(at=Min("enqueued_at"))["at"]
    oldest_deferred = ready.exclude(run_after=get_date_max()).aggregate(at=Min("run_after"))["at"]
    task_age = max(_age(oldest_now, now), _age(oldest_deferred, now))
    due = OutboxMessage.objects.filter(state=OutboxState.PENDING, next_attempt_at__lte=now)
    outbox_oldest = due.aggregate(at=Min("next_attempt_at"))["at"]
    return {
        "tasks_depth": float(depth),
        "tasks_age": task_age,
        "outbox_depth": float(due.count()),
        "outbox_age": _age(outbox_oldest, now),
    }


class QueueCollector(Collector):
    def collect(self) -> Iterator[Any]:
        state = queue_state()
        yield GaugeMetricFamily(
            "eloket_task_queue_depth", "Tasks due and not taken up.", value=state["tasks_depth"]
        )
        yield GaugeMetricFamily(
            "eloket_task_queue_age_seconds",
            "How long the oldest task due has waited.",
            value=state["tasks_age"],
        )
        yield GaugeMetricFamily(
            "eloket_outbox_due", "Outbox messages due and not sent.", value=state["outbox_depth"]
        )
        yield GaugeMetricFamily(
            "eloket_outbox_due_age_seconds",
            "How long the oldest outbox message due has waited.",
            value=state["outbox_age"],
        )


def exposition() -> bytes:
    """The text /metrics answers: this node's processes, then the queue."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        processes = generate_latest(registry)
    else:
        processes = generate_latest(PROCESS_REGISTRY)
    queue = CollectorRegistry(auto_describe=False)
    queue.register(QueueCollector())
    return processes + generate_latest(queue)
