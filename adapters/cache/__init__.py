"""Caches in front of any store: the in-process one, Redis, and the cached store itself."""

from __future__ import annotations

from aace.adapters.cache.memory import MemoryCache
from aace.adapters.cache.store import CachedStore
from aace.adapters.extras import requires_extra
from aace.domain.cache import Cache
from aace.domain.errors import ValidationError

__all__ = ["CachedStore", "MemoryCache", "open_cache"]


def open_cache(url: str) -> Cache:
    """The cache a URL names: ``memory://`` (this process only) or ``redis://host:port/db``
    (shared by every process; ``rediss://`` for TLS)."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme == "memory":
        return MemoryCache()
    if scheme in ("redis", "rediss"):
        with requires_extra("redis", f"a {scheme}:// cache"):
            from aace.adapters.cache.redis import RedisCache

        return RedisCache(url)
    raise ValidationError("cache_url", f"must be memory:// or redis://…, got {url!r}")
