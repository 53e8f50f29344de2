"""Readiness (/readyz): may this node take traffic? Each check answers "ok" or what is
wrong; the view answers 503 when any fails, naming it (docs/operations.md)."""

import logging
import secrets
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

log = logging.getLogger(__name__)


class CheckFailed(Exception):
    """What a check found wrong (a short sentence: it goes in the answer)."""


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        raise CheckFailed(f"unreachable ({type(exc).__name__})") from exc
    return "ok"


def check_cache() -> str:
    key = f"readyz:{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=30)
        read = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        raise CheckFailed(f"unreachable ({type(exc).__name__})") from exc
    if read != value:
        raise CheckFailed("a value written could not be read back")
    return "ok"


def _round_trip(alias: str) -> None:
    storage = storages[alias]
    data = secrets.token_bytes(16)
    name = storage.save(f"readyz/{secrets.token_hex(8)}", ContentFile(data))
    try:
        with storage.open(name, "rb") as stored:
            if stored.read() != data:
                raise CheckFailed(f"{alias}: a file written could not be read back")
    finally:
        storage.delete(name)


def _where(alias: str) -> str:
    storage = storages[alias]
    describe = getattr(storage, "describe", None)
    return describe() if callable(describe) else "a directory"


# The storage check's last result and when it was made (monotonic seconds).
_storage_seen: tuple[float, str | CheckFailed] | None = None


def check_storage() -> str:
    """The storage round trip's result, made again at most every
    `ELOKET_READYZ_STORAGE_SECONDS` per process: /readyz answers anyone, and each round
    trip writes, reads and deletes an object in each storage (eight requests to a bucket),
    so a flood of /readyz would otherwise be a flood on the bucket."""
    global _storage_seen
    window = float(settings.ELOKET_READYZ_STORAGE_SECONDS)
    now = time.monotonic()
    seen = _storage_seen
    if seen is None or now - seen[0] >= window:
        try:
            result: str | CheckFailed = _check_storage_now()
        except CheckFailed as exc:
            result = exc
        seen = _storage_seen = (now, result)
    if isinstance(seen[1], CheckFailed):
        raise seen[1]
    return seen[1]


def _check_storage_now() -> str:
    """The attachments' storage and the media files: write, read back, delete. Says where
    they are when on S3 (the bucket and its address, never a credential)."""
    places = []
    for alias in ("attachments", "default"):
        where = _where(alias)
        try:
            _round_trip(alias)
        except CheckFailed:
            raise
        except Exception as exc:
            on = f" on {where}" if where != "a directory" else ""
            raise CheckFailed(
                f"{alias}: not writable or readable{on} ({type(exc).__name__})"
            ) from exc
        if where != "a directory":
            places.append(f"{alias} on {where}")
    return f"ok ({'; '.join(places)})" if places else "ok"


def check_worker() -> str:
    from eloket.ops.tasks import heartbeat_last

    last = heartbeat_last()
    limit = settings.ELOKET_READYZ_HEARTBEAT_SECONDS
    if last is None:
        raise CheckFailed("no heartbeat from a task worker yet")
    age = (timezone.now() - last).total_seconds()
    if age > limit:
        raise CheckFailed(f"last heartbeat {age:.0f} s ago (limit {limit} s)")
    return f"ok (heartbeat {max(age, 0):.0f} s ago)"


def check_queue() -> str:
    from eloket.ops.metrics import queue_state

    state = queue_state()
    max_age = settings.ELOKET_READYZ_QUEUE_MAX_AGE_SECONDS
    max_depth = settings.ELOKET_READYZ_QUEUE_MAX_DEPTH
    problems = []
    for name in ("tasks", "outbox"):
        depth, age = int(state[f"{name}_depth"]), state[f"{name}_age"]
        if age > max_age:
            problems.append(f"{name}: oldest waits {age:.0f} s (limit {max_age} s)")
        if depth > max_depth:
            problems.append(f"{name}: {depth} waiting (limit {max_depth})")
    if problems:
        raise CheckFailed("; ".join(problems))
    return (
        f"ok ({int(state['tasks_depth'])} tasks, {int(state['outbox_depth'])} outbox messages due)"
    )


CHECKS: dict[str, Callable[[], str]] = {
    "database": check_database,
    "cache": check_cache,
    "storage": check_storage,
    "worker": check_worker,
    "queue": check_queue,
}
# Checks that read the database are pointless when it is down: they report that instead.
NEEDS_DATABASE = ("worker", "queue")


def readiness() -> tuple[bool, dict[str, str], list[str]]:
    """(ready, each check's result, the names of those that failed)."""
    results: dict[str, str] = {}
    failed: list[str] = []
    started = time.monotonic()
    for name, check in CHECKS.items():
        if name in NEEDS_DATABASE and "database" in failed:
            results[name] = "not checked: the database is unreachable"
            failed.append(name)
            continue
        try:
            results[name] = check()
        except CheckFailed as exc:
            results[name] = str(exc)
            failed.append(name)
        except Exception as exc:  # a check that breaks is a failed check
            results[name] = f"check failed ({type(exc).__name__})"
            failed.append(name)
    if failed:
        log.warning(
            "not ready: %s (%.0f ms)", ", ".join(failed), (time.monotonic() - started) * 1000
        )
    return not failed, results, failed
