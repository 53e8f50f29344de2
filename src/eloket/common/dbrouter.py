"""Reads of read-only requests from a PostgreSQL streaming replica (issue 16, point 7).

With `ELOKET_REPLICA_URL` set, the `replica` database is a hot standby of `default`.
`ReplicaReadsMiddleware` marks a GET or HEAD request as one whose reads may go there, and
`ReplicaRouter` sends them, with every exception that keeps a person's view consistent:

- every write goes to the primary, and once a request has written, its later reads do
  too (it reads what it wrote);
- a read inside a transaction on the primary stays there (a read-modify-write must see
  the row it changes), as does a read for update (`select_for_update`, `get_or_create`:
  Django asks for the write database for those);
- a browser that has just sent a form (any other method) reads from the primary for
  `ELOKET_REPLICA_PIN_SECONDS` (a cookie): the page it is redirected to shows what it sent,
  whatever the replica's lag;
- the migrations run on the primary only.

Without a replica, or with `ELOKET_READ_REPLICA` off, the router answers nothing and
Django's default applies. The standby refuses writes by itself: a mistake here would be
an error, never a write lost."""

import contextvars
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
PIN_COOKIE = "eloket_primary"

_reads_may_lag: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "eloket_replica_reads", default=False
)


def _replica_on() -> bool:
    return bool(getattr(settings, "ELOKET_READ_REPLICA", False)) and REPLICA in settings.DATABASES


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _reads_may_lag.get() or not _replica_on():
            return None
        if connections["default"].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str | None:
        _reads_may_lag.set(False)  # this request reads what it writes from now on
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return True  # one database, two doors

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA


class ReplicaReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _replica_on():
            return self.get_response(request)
        reading = request.method in ("GET", "HEAD") and PIN_COOKIE not in request.COOKIES
        token = _reads_may_lag.set(reading)
        try:
            response = self.get_response(request)
        finally:
            _reads_may_lag.reset(token)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.ELOKET_REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
