"""Every process forgets its cached tenants when one changes, on every web node (issue 16).

Each process keeps the municipalities it has read for `ELOKET_TENANT_CACHE_SECONDS` (ADR
0002): asking a shared cache on every request would cost what the query did. A change
(a municipality saved or deleted, its plugin settings, a restore) clears the process
that made it at once. With `REDIS_URL` set, the change is also published on a Redis
channel once its transaction commits; every process subscribes from a thread of its own
and, on a message, raises a generation number that its next request sees and clears its
caches for (in the request's own thread: the caches are not made to be cleared from
another). When Redis is down, the publication is lost and the subscription is retried;
processes then see a change within the cache period, as without Redis, and clear on
resubscribing whatever they may have missed.
"""

import logging
import os
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

CHANNEL = "eloket:tenant-cache"

_state = {"generation": 0, "seen": 0, "pid": 0}
_start_lock = threading.Lock()


def tenant_news_apply(clear: Callable[[], None]) -> None:
    """Run `clear` if another process announced a change since this one last looked, and
    make sure this process listens (once per process: a fork starts its own listener)."""
    if _state["pid"] != os.getpid():
        _listener_start()
    if _state["generation"] != _state["seen"]:
        _state["seen"] = _state["generation"]
        clear()


def tenant_change_announce() -> None:
    """Tell every other process that a municipality changed, once the change commits."""
    url = settings.REDIS_URL
    if url:
        transaction.on_commit(lambda: _publish(url))


def _publish(url: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        with client:
            client.publish(CHANNEL, str(os.getpid()))
    except redis.RedisError as exc:
        # Other processes see the change within ELOKET_TENANT_CACHE_SECONDS all the same.
        logger.warning("tenant change not announced: %s", type(exc).__name__)


def _listener_start() -> None:
    with _start_lock:
        if _state["pid"] == os.getpid():
            return
        _state["pid"] = os.getpid()
        url = settings.REDIS_URL
        if not url:
            return
        thread = threading.Thread(
            target=_listen, args=(url,), name="eloket-tenant-cache", daemon=True
        )
        thread.start()


def _listen(url: str) -> None:
    import redis

    wait = 0.5
    while True:
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(CHANNEL)
            # Whatever changed while this process was not listening.
            _state["generation"] += 1
            wait = 0.5
            for message in pubsub.listen():
                if message.get("type") == "message":
                    _state["generation"] += 1
        except Exception as exc:  # the listener must outlive any failure
            logger.warning("tenant cache listener: %s; retrying", type(exc).__name__)
            time.sleep(wait)
            wait = min(wait * 2, 30)
