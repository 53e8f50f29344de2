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


def backoff_wait(key: str, *, free: int, base: int, longest: int) -> int:
    """Seconds still to wait before the next attempt under `key` (0: go ahead). After
    `free` failures each further one doubles the wait: base, twice that, … up to longest."""
    state = cache.get(f"backoff:{key}")
    if not state or state["n"] < free:
        return 0
    wait = min(base * 2 ** (state["n"] - free), longest)
    return max(0, int(state["at"] + wait - time.time()))


def backoff_failure(key: str, *, longest: int) -> None:
    """Count one failure under `key` (kept a while after the longest wait)."""
    bucket = f"backoff:{key}"
    state = cache.get(bucket) or {"n": 0, "at": 0.0}
    cache.set(bucket, {"n": state["n"] + 1, "at": time.time()}, timeout=2 * longest + 60)


def backoff_clear(key: str) -> None:
    cache.delete(f"backoff:{key}")


def calls_in_window(key: str, *, window: int) -> int:
    """How many calls `limit_calls` counted under `key` in the current window."""
    return int(cache.get(f"rate:{key}:{int(time.time() // window)}") or 0)
