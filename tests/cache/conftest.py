"""A store with the cache on: SQLite files behind the in-process cache or Redis (at
``AACE_TEST_REDIS_URL``; CI runs it on 127.0.0.1:6379). Each store gets a namespace of its
own, so runs sharing a Redis never see each other's entries."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import pytest

from aace.adapters.cache import CachedStore, MemoryCache, open_cache
from aace.domain.cache import Cache
from tests.backends import sqlite, unavailable

CACHES = ("memory", "redis")


class Switchable:
    """A cache of the package's own port that can be made to fail (an outage), in front of
    a real one."""

    def __init__(self, inner: Cache) -> None:
        self.inner = inner
        self.down = False

    def _check(self) -> None:
        if self.down:
            raise ConnectionError("the cache is unreachable (simulated outage)")

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        self._check()
        return await self.inner.get_many(keys)

    async def set_many(self, values: Mapping[str, bytes], ttl: int) -> None:
        self._check()
        await self.inner.set_many(values, ttl)

    async def incr(self, key: str) -> int:
        self._check()
        return await self.inner.incr(key)

    async def close(self) -> None:
        await self.inner.close()


async def real_cache(kind: str) -> Cache:
    if kind == "memory":
        return MemoryCache()
    url = os.environ.get("AACE_TEST_REDIS_URL", "")
    if not url:
        unavailable("AACE_TEST_REDIS_URL is not set: Redis cache tests need a server")
    cache = open_cache(url)
    try:
        await cache.get_many(["aace-test:ping"])
    except Exception as exc:
        await cache.close()
        unavailable(f"Redis at {url} is unreachable: {exc}")
    return cache


@pytest.fixture(params=CACHES)
async def cached_store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Any]:
    """A fresh SQLite store behind a switchable cache of the given kind."""
    cache = Switchable(await real_cache(request.param))
    async with sqlite.open_store(request) as inner:
        store = CachedStore(inner, cache, ttl=60, namespace=f"aace-test-{uuid.uuid4().hex[:10]}")
        store.switch = cache  # type: ignore[attr-defined]  # for the tests only
        yield store
        await cache.close()
