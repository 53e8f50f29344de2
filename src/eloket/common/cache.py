"""The shared cache that a stopped Redis does not take down (issue 16, point 4).

Eloket keeps nothing in the cache that it cannot do without: sessions are in the database,
and the cache holds what saves work (the officer link of the navigation, catalogues,
kept pages), rate-limit counters and login back-off. Django's Redis cache raises on every
call while Redis is unreachable, which turned every page into a 500. This one answers as
an empty cache instead (a miss, nothing stored), logs the outage once, and does not try
Redis again for `RETRY_AFTER` seconds, so pages do not wait on a connection each call.

What degrades while Redis is down, by design (docs/deployment.md): pages are made anew
(slower); rate limits and the login back-off count nothing (they fail open for the outage:
the password's hash and the second factor still stand); a municipality changed on one
node reaches the others within the tenant cache's 5 s (tenants/invalidation.py)."""

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_AFTER = 2.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


class ResilientRedisCache(RedisCache):
    _down_until = 0.0

    def _or(self, fallback: T, call: Callable[[], T]) -> T:
        if time.monotonic() < self._down_until:
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            if not self._down_until:
                log.warning("cache unreachable (%s): serving without it", type(exc).__name__)
            self._down_until = time.monotonic() + RETRY_AFTER
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        value = self._or(
            default, lambda: super(ResilientRedisCache, self).get(key, default, version)
        )
        self._reached()
        return value

    def _reached(self) -> None:
        if self._down_until and time.monotonic() >= self._down_until:
            self._down_until = 0.0
            log.warning("cache reachable again")

    def set(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).set(key, value, timeout, version))

    def add(self, key: Any, value: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._or(
            False, lambda: super(ResilientRedisCache, self).add(key, value, timeout, version)
        )

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).delete(key, version))

    def touch(self, key: Any, timeout: Any = None, version: int | None = None) -> bool:
        return self._or(
            False, lambda: super(ResilientRedisCache, self).touch(key, timeout, version)
        )

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._or(False, lambda: super(ResilientRedisCache, self).has_key(key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        value: int | None = self._or(
            None, lambda: int(super(ResilientRedisCache, self).incr(key, delta, version))
        )
        if value is None:
            raise ValueError("the cache is unreachable: no count")  # as a missing key
        return value

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        return self._or({}, lambda: super(ResilientRedisCache, self).get_many(keys, version))

    def set_many(self, data: Any, timeout: Any = None, version: int | None = None) -> list[Any]:
        return self._or(
            list(data), lambda: super(ResilientRedisCache, self).set_many(data, timeout, version)
        )

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).delete_many(keys, version))

    def clear(self) -> None:
        self._or(None, lambda: super(ResilientRedisCache, self).clear())
