"""The outermost middleware: a request id for every request (X-Request-ID, in the logs of
the request and of the tasks it enqueues, and in the answer), and the request metrics."""

import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from eloket.common.observability import accepted_request_id, request_id_var
from eloket.ops.metrics import ERRORS, LATENCY, REQUESTS

HEADER = "X-Request-ID"
# Not timed: the scrapes and the load balancer's probes would drown the pages.
UNTIMED = frozenset({"metrics", "readyz", "healthz"})


def _labels(request: HttpRequest) -> tuple[str, str]:
    """The route (the URL pattern's name, never the path: paths carry ids) and the
    municipality's slug."""
    match = getattr(request, "resolver_match", None)
    route = (match.view_name or "unnamed") if match is not None else "unresolved"
    tenant = getattr(request, "tenant", None)
    return route, (tenant.slug if tenant is not None else "none")


# The metrics' children per label values: `labels()` checks and locks on every call (~5 µs
# twice a request); the routes and municipalities are few, so their children are kept.
_latency: dict[tuple[str, str], Any] = {}
_requests: dict[tuple[str, str, str, str], Any] = {}


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accepted_request_id(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response[HEADER] = request_id
        route, municipality = _labels(request)
        if route not in UNTIMED:
            timed = (route, municipality)
            if (latency := _latency.get(timed)) is None:
                latency = _latency[timed] = LATENCY.labels(route, municipality)
            latency.observe(time.perf_counter() - started)
            counted = (
                route,
                municipality,
                request.method or "",
                f"{response.status_code // 100}xx",
            )
            if (requests := _requests.get(counted)) is None:
                requests = _requests[counted] = REQUESTS.labels(*counted)
            requests.inc()
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        route, _municipality = _labels(request)
        ERRORS.labels(route, type(exception).__name__).inc()
