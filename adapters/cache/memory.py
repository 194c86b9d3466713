"""The in-process cache: for one process only (several processes need Redis, or each would
keep what another process's writes made stale)."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

__all__ = ["MemoryCache"]


class MemoryCache:
    """A dict with expiry times; counters (the epoch) never expire."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._values: dict[str, tuple[float, bytes]] = {}
        self._counters: dict[str, int] = {}
        self._max = max_entries

    async def get_many(self, keys: Sequence[str]) -> list[bytes | None]:
        now = time.monotonic()
        found: list[bytes | None] = []
        for key in keys:
            if key in self._counters:
                found.append(str(self._counters[key]).encode())
                continue
            entry = self._values.get(key)
            if entry is None or entry[0] < now:
                self._values.pop(key, None)
                found.append(None)
            else:
                found.append(entry[1])
        return found

    async def set_many(self, values: Mapping[str, bytes], ttl: int) -> None:
        if len(self._values) + len(values) > self._max:
            self._values.clear()  # bounded memory: start again rather than grow
        expires = time.monotonic() + ttl
        for key, value in values.items():
            self._values[key] = (expires, value)

    async def incr(self, key: str) -> int:
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    async def close(self) -> None:
        self._values.clear()
