"""A small fixed-window rate limit on the shared cache (Redis when configured).

Used against floods: look-ups per address (document verification), opinions and votes
per participant (forum)."""

import time

from django.core.cache import cache

from eloket.common.errors import ApplicationError


class RateLimited(ApplicationError):
    code = "rate_limited"
    status = 429


def limit_calls(key: str, *, limit: int, window: int, message: str) -> None:
    """Count one call under `key` in the current `window` (seconds); raise RateLimited
    with `message` once there were more than `limit`."""
    bucket = f"rate:{key}:{int(time.time() // window)}"
    if cache.add(bucket, 1, timeout=window + 1):
        return
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr: this call starts a new count
        cache.add(bucket, 1, timeout=window + 1)
        return
    if count > limit:
        raise RateLimited(message)
