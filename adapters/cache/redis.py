"""Redis as the shared cache (``redis.asyncio``): one cache for every process of a
deployment. Short socket timeouts, so an unreachable Redis costs a fraction of a second
before the cached store falls back to storage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

__all__ = ["RedisCache"]


class RedisCache:
    def __init__(self, url: str, *, timeout: float = 0.5) -> None:
        self._client: Any = Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        if not keys:
            return []
        values: list[bytes | None] = await self._client.mget(list(keys))
        return values

    async def set_many(self, values: Mapping[str, bytes], ttl: int) -> None:
        if not values:
            return
        async with self._client.pipeline(transaction=False) as pipe:
            for key, value in values.items():
                pipe.set(key, value, ex=ttl)
            await pipe.execute()

    async def incr(self, key: str) -> int:
        return int(await self._client.incr(key))

    async def close(self) -> None:
        await self._client.aclose()
