"""Every process forgets its cached tenants when one changes, on every web node (issue 16).

Each process keeps the municipalities it has read for `ELOKET_TENANT_CACHE_SECONDS` (ADR
0002): asking a shared cache on every request would cost what the query did. A change
(a municipality saved or deleted, its plugin settings, a restore) clears the process
that made it at once and, once its transaction commits, raises a generation number in
the shared cache (Redis on a cluster). Every process looks at that number at most once
every `CHECK_SECONDS` (one small read a second, not one per request) and clears its
caches when it moved: a change reaches every node within about a second.

No thread: a process that forks (gunicorn's master with --preload) must not hold one, and
a look from the request's own thread clears caches that are not made to be cleared from
another. While the shared cache is unreachable (common/cache.py answers as an empty one)
the number reads as unchanged, and the cache period above is the bound again.
"""

import time
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction

KEY = "tenant-cache-generation"
CHECK_SECONDS = 1.0

_state: dict[str, float | int | None] = {"checked": 0.0, "seen": None}


def tenant_news_apply(clear: Callable[[], None]) -> None:
    """Run `clear` if another process announced a change since this one last looked."""
    now = time.monotonic()
    if now - float(_state["checked"] or 0.0) < CHECK_SECONDS:
        return
    _state["checked"] = now
    generation = cache.get(KEY)
    if generation is None:
        return  # nothing announced yet, or the cache is unreachable
    if _state["seen"] is not None and generation != _state["seen"]:
        clear()
    _state["seen"] = generation


def tenant_change_announce() -> None:
    """Tell every other process that a municipality changed, once the change commits."""
    transaction.on_commit(_raise_generation)


def _raise_generation() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # not there yet (or the cache is unreachable: then nothing)
        cache.add(KEY, 1, timeout=None)
    # This process cleared itself already; it need not clear again on its next look.
    _state["seen"] = cache.get(KEY)
