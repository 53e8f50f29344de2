"""/readyz (each check failing on its own), /metrics (what it counts, who may read it),
request ids (header, JSON log lines, tasks), and no national number in a JSON line."""

import datetime as dt
import io
import json
import logging

import pytest
from django.core.files.storage import storages
from django.db import OperationalError
from django.utils import timezone

from eloket.common.observability import JsonFormatter, RequestIdFilter, request_id_var
from eloket.ops.tasks import HEARTBEAT, heartbeat_write


@pytest.fixture
def beating(db):
    heartbeat_write()


def test_ready_when_everything_answers(client, beating):
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["status"] == "ok" and body["failed"] == []
    assert set(body["checks"]) == {"database", "cache", "storage", "worker", "queue"}
    assert answer["Cache-Control"].startswith("max-age=0")


def test_healthz_stays_alive_only(client, db):
    # No worker heartbeat: not ready, but alive.
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_database_down(client, beating, monkeypatch):
    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr("eloket.ops.health.connection.cursor", down)
        answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database", "worker", "queue"]
    assert body["checks"]["database"] == "unreachable (OperationalError)"
    assert body["checks"]["cache"] == "ok" and body["checks"]["storage"] == "ok"


def test_cache_failing(client, beating, monkeypatch):
    def refused(*args, **kwargs):
        raise ConnectionError("redis is gone")

    monkeypatch.setattr("eloket.ops.health.cache.set", refused)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["cache"]
    assert "ConnectionError" in answer.json()["checks"]["cache"]


def test_cache_that_forgets(client, beating, monkeypatch):
    monkeypatch.setattr("eloket.ops.health.cache.get", lambda *a, **k: None)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["cache"]


def test_storage_not_writable(client, beating, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storages["attachments"], "save", full)
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["storage"]
    assert answer.json()["checks"]["storage"].startswith("attachments: not writable")


def test_a_flood_of_readyz_makes_one_storage_round_trip_per_window(
    client, beating, monkeypatch, settings
):
    """Anyone may ask /readyz; each storage check writes, reads and deletes an object in
    each storage (a bucket's requests): within the window the result is the last one."""
    from eloket.ops import health

    settings.ELOKET_READYZ_STORAGE_SECONDS = 10
    monkeypatch.setattr(health, "_storage_seen", None)
    saves = []
    real_save = storages["attachments"].save
    monkeypatch.setattr(
        storages["attachments"], "save", lambda *a, **k: saves.append(1) or real_save(*a, **k)
    )
    for _ in range(20):
        assert client.get("/readyz").status_code == 200
    assert len(saves) == 1
    # a failure is kept as long, and after the window the storage is asked again
    monkeypatch.setattr(health, "_storage_seen", None)
    monkeypatch.setattr(storages["attachments"], "save", _full)
    assert client.get("/readyz").json()["failed"] == ["storage"]
    monkeypatch.setattr(storages["attachments"], "save", real_save)
    assert client.get("/readyz").json()["failed"] == ["storage"]
    clock = health.time.monotonic() + 11
    monkeypatch.setattr(health.time, "monotonic", lambda: clock)
    assert client.get("/readyz").status_code == 200


def _full(*args, **kwargs):
    raise OSError(28, "No space left on device")


def test_no_heartbeat_ever(client, db):
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["worker"]
    assert "no heartbeat" in answer.json()["checks"]["worker"]


def test_no_recent_heartbeat(client, db, settings):
    settings.ELOKET_READYZ_HEARTBEAT_SECONDS = 600
    heartbeat_write(timezone.now() - dt.timedelta(minutes=11))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["worker"]
    assert "limit 600 s" in answer.json()["checks"]["worker"]
    heartbeat_write()
    assert client.get("/readyz").status_code == 200


def _queued_task(*, waited: dt.timedelta):
    from django_tasks_db.models import DBTaskResult

    row = DBTaskResult.objects.create(
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="eloket.outbox.delivery.deliver_task",
        backend_name="default",
        queue_name="default",
        priority=0,
    )
    DBTaskResult.objects.filter(pk=row.pk).update(enqueued_at=timezone.now() - waited)
    return row


def test_queue_too_old(client, beating, settings):
    settings.ELOKET_READYZ_QUEUE_MAX_AGE_SECONDS = 300
    _queued_task(waited=dt.timedelta(seconds=30))
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["checks"]["queue"].startswith("ok (1 tasks")
    _queued_task(waited=dt.timedelta(minutes=20))
    answer = client.get("/readyz")
    assert answer.status_code == 503 and answer.json()["failed"] == ["queue"]
    assert "tasks: oldest waits 1200 s (limit 300 s)" in answer.json()["checks"]["queue"]


def test_queue_too_deep(client, beating, settings):
    settings.ELOKET_READYZ_QUEUE_MAX_DEPTH = 2
    for _ in range(3):
        _queued_task(waited=dt.timedelta(seconds=1))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert "tasks: 3 waiting (limit 2)" in answer.json()["checks"]["queue"]


def test_outbox_too_old(client, beating, settings, gent):
    from eloket.outbox.models import OutboxMessage

    settings.ELOKET_READYZ_QUEUE_MAX_AGE_SECONDS = 300
    OutboxMessage.objects.create(
        municipality=gent, kind="email", next_attempt_at=timezone.now() - dt.timedelta(hours=1)
    )
    answer = client.get("/readyz")
    assert answer.status_code == 503 and "outbox: oldest waits" in answer.json()["checks"]["queue"]


# --- /metrics


def _sample(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + "{") and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_routes_and_municipalities_never_paths(client, gent):
    before = client.get("/metrics").content.decode()
    client.get("/gent/")
    client.get("/gent/")
    client.get("/gent/nowhere-at-all-4711")
    text = client.get("/metrics").content.decode()
    home = dict(route="web:home", municipality="gent", method="GET", status="2xx")
    assert _sample(text, "eloket_http_requests_total", **home) - _sample(
        before, "eloket_http_requests_total", **home
    ) == pytest.approx(2)
    assert (
        'eloket_http_request_duration_seconds_bucket{le="0.5",municipality="gent",route="web:home"}'
        in text
    )
    assert "nowhere-at-all-4711" not in text  # the route's name, never the path
    assert "eloket_task_queue_depth 0.0" in text
    assert "eloket_task_queue_age_seconds" in text and "eloket_outbox_due " in text


def test_metrics_closed_to_others(client, db, settings):
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    # Through a proxy on this machine everyone is 127.0.0.1: refused too.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="192.0.2.7").status_code == 403
    settings.ELOKET_METRICS_TOKEN = "s3cret-token-for-prometheus"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = client.get(
        "/metrics",
        REMOTE_ADDR="192.0.2.7",
        HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus",
    )
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")


def test_metrics_count_unhandled_errors(client, db, monkeypatch):
    import eloket.web.views as web_views

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(web_views, "platform_home", broken)
    from django.urls import clear_url_caches

    clear_url_caches()
    # The URLconf holds the function itself: raise from inside the view it calls.
    monkeypatch.setattr(
        web_views, "municipality_list", lambda: (_ for _ in ()).throw(RuntimeError("boom"))
    )
    client.raise_request_exception = False
    assert client.get("/").status_code == 500
    text = client.get("/metrics").content.decode()
    assert (
        _sample(
            text, "eloket_http_exceptions_total", route="platform-home", exception="RuntimeError"
        )
        >= 1
    )
    assert _sample(text, "eloket_http_requests_total", route="platform-home", status="5xx") >= 1


# --- Request ids and JSON logs


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp=True,
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


def test_request_id_is_answered_and_logged(client, db, json_log):
    given = client.get("/no-such-municipality-here/", HTTP_X_REQUEST_ID="lb-0123456789abcdef")
    assert given.status_code == 404 and given["X-Request-ID"] == "lb-0123456789abcdef"
    made = client.get("/no-such-municipality-here/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert made["X-Request-ID"] != "bad id\nwith newline" and len(made["X-Request-ID"]) == 32
    lines = [line for line in json_log() if line["logger"] == "django.request"]
    assert [line["request_id"] for line in lines] == ["lb-0123456789abcdef", made["X-Request-ID"]]
    assert {"timestamp", "level", "message"} <= set(lines[0]) and "request" not in lines[0]
    assert request_id_var.get() == ""  # not left behind after the request


def test_json_lines_carry_no_national_number(json_log):
    log = logging.getLogger("eloket.test")
    log.warning("looked up %s for %s", "85.07.30-033.61", {"rrn": "85073003361"})
    log.warning("plain", extra={"national_number": 85073003361, "other": "85073003361"})
    text = json.dumps(json_log())
    assert "85073003361" not in text and "033.61" not in text and "[national number]" in text


def test_a_queued_task_runs_under_the_request_id_of_its_request(db, settings, gent, monkeypatch):
    """Enqueued (to the database queue) during a request, run by the `db_worker`'s worker: its log
    lines carry the request's id; the worker's heartbeat is written after the task."""
    from django.tasks import task_backends
    from django.tasks.signals import task_started
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from eloket.common.models import ScheduleMark
    from eloket.ops.models import TaskOrigin
    from eloket.outbox.delivery import deliver_task

    monkeypatch.setattr("eloket.ops.tasks._last_beat", 0.0)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    task_backends._settings = None  # type: ignore[attr-defined]
    seen = []

    def note(sender, task_result, **kwargs):
        seen.append(request_id_var.get())

    task_started.connect(note)
    try:
        token = request_id_var.set("req-abcdef0123456789")
        try:
            result = deliver_task.enqueue(4711)
        finally:
            request_id_var.reset(token)
        assert TaskOrigin.objects.get(task_id=str(result.id)).request_id == "req-abcdef0123456789"
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        row = DBTaskResult.objects.get(pk=result.id)
        row.claim("test-worker")
        worker.run_task(row)
    finally:
        task_started.disconnect(note)
    assert seen == ["req-abcdef0123456789"]
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"
    assert not TaskOrigin.objects.exists() and request_id_var.get() == ""
    assert ScheduleMark.objects.filter(name=HEARTBEAT).exists()


def test_documents_issued_and_e_mails_sent_are_counted(gent, family, seals):
    from django.core import mail
    from django.test import TestCase
    from prometheus_client import REGISTRY

    from eloket.outbox.email import email_put
    from test_attacks_uploads import sealed_pdf

    def value(name, **labels):
        return REGISTRY.get_sample_value(name, labels) or 0.0

    issued = value("eloket_documents_issued_total", municipality="gent", kind="residence")
    sent = value("eloket_outbox_sent_total", kind="email")
    sealed_pdf(gent, family)
    assert value("eloket_documents_issued_total", municipality="gent", kind="residence") == (
        issued + 1
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        email_put(municipality=gent, to="jan@example.org", subject="Hello", body="Text")
    assert len(mail.outbox) == 1
    assert value("eloket_outbox_sent_total", kind="email") == sent + 1
