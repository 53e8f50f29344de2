"""A small fixed-window rate limit on the shared cache (Redis when configured)."""

import time

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _

from eloket.common.errors import ApplicationError


class RateLimited(ApplicationError):
    code = "rate_limited"
    status = 429


def client_address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def check_rate(request: HttpRequest, *, scope: str, limit: int, window: int = 60) -> None:
    """Raise RateLimited when this address made more than `limit` calls in the window."""
    bucket = int(time.time() // window)
    key = f"rate:{scope}:{client_address(request)}:{bucket}"
    if cache.add(key, 1, timeout=window + 1):
        return
    try:
        count = cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=window + 1)
        return
    if count > limit:
        raise RateLimited(_("Too many look-ups from your address. Wait a minute and try again."))
