"""The cache as one store uses it: the key prefixes (namespace, epoch, generations; the
layout is explained in :mod:`aace.adapters.cache.store`), the generations a write bumps,
and whether the cache may be used (after any error, not until the epoch is bumped)."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from aace.adapters.observing import CACHE_LOOKUPS, report
from aace.domain.cache import Cache
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = ["Gate", "Touched", "cacheable"]

#: What a write touched: (entity, tenant, record key).
Touched = tuple[EntitySchema[Any], PartitionKey, EntityKey]
_NOT_CACHED = frozenset({"idempotency", "tenant_counters"})
#: How long a store that lost its cache waits before trying to bump the epoch again.
_RETRY_SECONDS = 1.0
log = logging.getLogger(__name__)


def _looked_up(outcome: str, amount: int) -> None:
    """Count cache lookups: ``hit``, ``miss`` or ``fallback`` (served by storage)."""
    if amount:
        report(None, 0, "", CACHE_LOOKUPS, {"aace.cache.outcome": outcome}, amount=amount)


class Gate:
    """The cache as this store may use it: healthy, or waiting to bump the epoch."""

    def __init__(self, cache: Cache, ttl: int, namespace: str) -> None:
        self.cache = cache
        self.ttl = ttl
        self.namespace = namespace
        self._epoch = f"{namespace}:epoch"
        self._healthy = True
        self._retry_at = 0.0
        self.hits = 0
        self.misses = 0

    def fail(self) -> None:
        if self._healthy:
            log.warning(
                "the cache failed: reads go to storage until it answers again",
                extra={"aace_event": "aace.cache.down", "cache": type(self.cache).__name__},
            )
        self._healthy = False
        self._retry_at = time.monotonic() + _RETRY_SECONDS

    async def _usable(self) -> bool:
        if self._healthy:
            return True
        if time.monotonic() < self._retry_at:
            _looked_up("fallback", 1)
            return False
        try:
            await self.cache.incr(self._epoch)
        except Exception:
            self.fail()
            _looked_up("fallback", 1)
            return False
        self._healthy = True
        log.info(
            "the cache answers again (epoch bumped)",
            extra={"aace_event": "aace.cache.up", "cache": type(self.cache).__name__},
        )
        return True

    async def prefix(self, schema: EntitySchema[Any], tenant: PartitionKey) -> str | None:
        """``aace:<epoch>:<entity>:<tenant>:<generation>``, or ``None`` to bypass."""
        if not await self._usable():
            return None
        generation = self._generation(schema, tenant)
        try:
            epoch, current = await self.cache.get_many([self._epoch, generation])
        except Exception:
            self.fail()
            _looked_up("fallback", 1)
            return None
        owner = _owner(schema, tenant)
        return f"{self.namespace}:{_number(epoch)}:{schema.name}:{owner}:{_token(current)}"

    async def record_prefixes(
        self, schema: EntitySchema[Any], tenant: PartitionKey, keys: Sequence[EntityKey]
    ) -> list[str] | None:
        """One key prefix per record (its own generation: a write to one record leaves the
        others' entries alone), or ``None`` to bypass the cache."""
        if not await self._usable():
            return None
        names = [self._record_generation(schema, tenant, key) for key in keys]
        try:
            epoch, *generations = await self.cache.get_many([self._epoch, *names])
        except Exception:
            self.fail()
            _looked_up("fallback", 1)
            return None
        owner = _owner(schema, tenant)
        return [
            f"{self.namespace}:{_number(epoch)}:{schema.name}:{owner}:r{_token(g)}"
            for g in generations
        ]

    def _generation(self, schema: EntitySchema[Any], tenant: PartitionKey) -> str:
        return f"{self.namespace}:gen:{schema.name}:{_owner(schema, tenant)}"

    def _record_generation(
        self, schema: EntitySchema[Any], tenant: PartitionKey, key: EntityKey
    ) -> str:
        return f"{self._generation(schema, tenant)}:{json.dumps(list(key))}"

    async def get(self, keys: Sequence[str]) -> list[bytes | None]:
        try:
            found = await self.cache.get_many(keys)
        except Exception:
            self.fail()
            _looked_up("fallback", len(keys))
            return [None] * len(keys)
        hits = sum(value is not None for value in found)
        self.hits += hits
        self.misses += len(found) - hits
        _looked_up("hit", hits)
        _looked_up("miss", len(found) - hits)
        return found

    async def put(self, values: Mapping[str, bytes]) -> None:
        try:
            await self.cache.set_many(values, self.ttl)
        except Exception:
            self.fail()

    async def bump(self, touched: Iterable[Touched]) -> None:
        """Make unreachable every listing of the touched (entity, tenant) pairs and the
        entries of the touched records."""
        names: set[str] = set()
        for schema, tenant, key in touched:
            if cacheable(schema):
                names.add(self._generation(schema, tenant))
                names.add(self._record_generation(schema, tenant, key))
        if not names:
            return
        # A fresh token per write, never a counter, so a generation that expired cannot come
        # back to a used value; it outlives the entries keyed under the one before it by
        # far more than a read takes (entries live ``ttl``, generations twice that and a
        # minute), so a slow reader's late entry under the old one is dead before it could
        # be read again.
        token = uuid.uuid4().hex.encode()
        try:
            await self.cache.set_many(dict.fromkeys(sorted(names), token), 2 * self.ttl + 60)
        except Exception:
            self.fail()  # the epoch bump on recovery covers the lost generations
        except BaseException:
            self.fail()  # cancelled half way: the write may have landed unannounced
            raise


def _owner(schema: EntitySchema[Any], tenant: PartitionKey) -> str:
    return "platform" if schema.platform else str(tenant)


def _token(value: bytes | None) -> str:
    return "0" if value is None else value.decode("ascii", "replace")


def _number(value: bytes | None) -> int:
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def cacheable(schema: EntitySchema[Any]) -> bool:
    """Whether entries of ``schema`` may be cached: no secrets, no bookkeeping."""
    return not schema.secrets and schema.name not in _NOT_CACHED
