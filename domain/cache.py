"""The cache port: a shared key-value store of bytes with atomic counters, which a cached
store (``aace.adapters.cache``) puts in front of any storage adapter.

Adapters may raise anything on failure (a lost connection): the cached store treats every
exception as "the cache is unavailable" and reads from storage instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

__all__ = ["Cache"]


class Cache(Protocol):
    """Bytes by key, with a time to live; and counters that only go up (the epoch)."""

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        """One value per key (``None`` where missing or expired), in order."""
        ...

    async def set_many(self, values: Mapping[str, bytes], ttl: int) -> None:
        """Store every value for ``ttl`` seconds."""
        ...

    async def incr(self, key: str) -> int:
        """Add one to the counter ``key`` (missing counts as 0) and return it."""
        ...

    async def close(self) -> None: ...
