"""/readyz for the load balancer, /metrics for Prometheus (docs/operations.md)."""

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from eloket.common.nocache import never_cache
from eloket.ops.health import readiness
from eloket.ops.metrics import CONTENT_TYPE, exposition

LOOPBACK = frozenset({"127.0.0.1", "::1"})
# Headers a proxy in front adds: behind one on this machine every client is 127.0.0.1.
FORWARDED = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Each check's words (where the storage is: a bucket's name and address) for whoever
    may read /metrics; anyone else learns which checks passed and which failed, no more."""
    ready, checks, failed = readiness()
    if not metrics_allowed(request):
        checks = {name: "failed" if name in failed else "ok" for name in checks}
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "failed": failed}
    return JsonResponse(body, status=200 if ready else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """With ELOKET_METRICS_TOKEN set: that bearer token, from anywhere. Without: only a
    client on this machine that did not come through a proxy."""
    token = settings.ELOKET_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(request.headers.get(header) for header in FORWARDED):
        return False
    return request.META.get("REMOTE_ADDR", "") in LOOPBACK


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE)
