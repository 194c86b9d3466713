"""A cached store: any store, with its reads cached and its writes invalidating them.

Every cache key holds the **namespace** (one per store: two stores sharing a Redis
database need namespaces of their own), the **epoch** and the **generation** of the
(tenant, entity) it belongs to: ``<namespace>:<epoch>:<entity>:<tenant>:<generation>:…``.
A read first reads both (one round trip), then the entry; a write, once storage has it,
bumps the generation, so every entry it could have changed becomes unreachable at once.
Nothing is ever deleted, so a reader that read the old value before the write and stores
it after cannot revive it: it stores it under the old generation (architecture.md,
"Traps").

The prefixes, generations and the cache's health are kept by
:class:`~aace.adapters.cache.gate.Gate`.

Units of work, cascades and re-pointing all write through :class:`CachedUnitOfWork`, so no
write path forgets to invalidate. A cache failure degrades to storage, never to a wrong
answer: after any cache error this store stops using the cache until it has bumped the
epoch (so a generation bump lost while the cache was unreachable cannot let old entries
back). Not cached: records holding secrets (MCP servers), bookkeeping (idempotency keys,
tenant counters), listings served by a global index (eventually consistent) and reads
across tenants.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Generic, TypeVar

import attrs

from aace.adapters.cache.gate import Gate, Touched, cacheable
from aace.adapters.health import timed_check
from aace.domain.cache import Cache
from aace.domain.entities import TENANT_COUNTERS, schema_for
from aace.domain.errors import NotFound
from aace.domain.filters import as_filter
from aace.domain.ports import (
    ANY,
    PRESENT,
    Condition,
    Health,
    Repository,
    ScanPage,
    Store,
    UnitOfWork,
)
from aace.domain.query import Page, Query
from aace.domain.records import from_record, to_record
from aace.domain.schema import AttrKind, EntityKey, EntitySchema, IndexKind
from aace.domain.tenancy import PartitionKey

__all__ = ["CachedStore", "CachedUnitOfWork"]

E = TypeVar("E")


def _typed(value: Any) -> Any:
    """A datetime in a listing's shape, never mistaken for the same text."""
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    raise TypeError(f"cannot cache {type(value).__name__}")


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot cache {type(value).__name__}")


class _Codec:
    """Records as JSON, datetimes as ISO text, read back by the schema's kinds."""

    def __init__(self, schema: EntitySchema[Any]) -> None:
        self.schema = schema
        self._times = [a.name for a in schema.attributes if a.kind is AttrKind.DT]

    def encode(self, entity: Any) -> Any:
        return None if entity is None else to_record(self.schema, entity)

    def decode(self, record: Any) -> Any:
        if record is None:
            return None
        for name in self._times:
            if isinstance(record.get(name), str):
                record[name] = datetime.fromisoformat(record[name])
        return from_record(self.schema, record)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, default=_text, separators=(",", ":")).encode("utf-8")


class CachedRepository(Generic[E]):
    def __init__(self, inner: Repository[E], gate: Gate) -> None:
        self._inner = inner
        self._gate = gate
        self.schema: EntitySchema[E] = inner.schema
        self._codec = _Codec(self.schema)
        self._on = cacheable(self.schema)

    async def get(self, tenant: PartitionKey, key: EntityKey) -> E:
        found = await self.find(tenant, key)
        if found is None:
            raise NotFound(f"{self.schema.name} {key} not found")
        return found

    async def find(self, tenant: PartitionKey, key: EntityKey) -> E | None:
        (found,) = await self.get_many(tenant, [self.schema.check_key(key)])
        return found

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        checked = [self.schema.check_key(k) for k in keys]
        prefixes = (
            await self._gate.record_prefixes(self.schema, tenant, checked) if self._on else None
        )
        if prefixes is None:
            return await self._inner.get_many(tenant, checked)
        names = [f"{p}:rec:{json.dumps(list(k))}" for p, k in zip(prefixes, checked, strict=True)]
        cached = await self._gate.get(names)
        missing = [k for k, value in zip(checked, cached, strict=True) if value is None]
        fetched = dict(zip(missing, await self._inner.get_many(tenant, missing), strict=True))
        if fetched:
            values = {
                name: _dumps({"r": self._codec.encode(fetched[k])})
                for name, k, value in zip(names, checked, cached, strict=True)
                if value is None
            }
            await self._gate.put(values)
        return [
            fetched[k] if value is None else self._codec.decode(json.loads(value)["r"])
            for k, value in zip(checked, cached, strict=True)
        ]

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        name = await self._listing_key(tenant, query, "page")
        if name is None:
            return await self._inner.query(tenant, query)
        (cached,) = await self._gate.get([name])
        if cached is not None:
            data = json.loads(cached)
            return Page([self._codec.decode(r) for r in data["items"]], data["next"])
        page = await self._inner.query(tenant, query)
        items = [self._codec.encode(item) for item in page.items]
        await self._gate.put({name: _dumps({"items": items, "next": page.next_cursor})})
        return page

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        name = await self._listing_key(tenant, attrs.evolve(query, cursor=None, limit=1), "count")
        if name is None:
            return await self._inner.count(tenant, query)
        (cached,) = await self._gate.get([name])
        if cached is not None:
            return int(cached)
        counted = await self._inner.count(tenant, query)
        await self._gate.put({name: str(counted).encode()})
        return counted

    async def _listing_key(self, tenant: PartitionKey, query: Query, kind: str) -> str | None:
        if not self._on:
            return None
        index = self.schema.index(query.index) if query.index else None
        if index is not None and index.kind is IndexKind.GLOBAL:
            return None  # eventually consistent: a cached page could outlive the write
        prefix = await self._gate.prefix(self.schema, tenant)
        if prefix is None:
            return None
        shape = {
            "tenant": str(tenant),  # cursors are bound to the tenant that listed
            "index": query.index,
            "parent": query.parent,
            "range": None if query.range is None else [query.range.op.value, *query.range.values],
            "desc": query.descending,
            "limit": query.limit,
            "cursor": query.cursor,
            "filters": sorted([k, as_filter(v).scope()] for k, v in query.filters.items()),
        }
        try:
            digest = hashlib.sha256(
                json.dumps(shape, default=_typed, sort_keys=True).encode("utf-8")
            ).hexdigest()
        except TypeError:
            return None  # a filter value JSON cannot hold: let storage refuse or answer
        return f"{prefix}:{kind}:{digest}"

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        return await self._inner.exists_in_any_tenant(equals)

    async def find_in_any_tenant(self, key: EntityKey) -> E | None:
        """An operator's keyed read across tenants: straight from the store, never cached
        (a revoked public id must stop resolving at once)."""
        return await self._inner.find_in_any_tenant(key)

    async def scan(
        self,
        *,
        segment: int = 0,
        segments: int = 1,
        position: str | None = None,
        limit: int = 100,
        tenant: PartitionKey | None = None,
    ) -> ScanPage[E]:
        """An operator's whole-table read: straight from the store, never cached."""
        return await self._inner.scan(
            segment=segment, segments=segments, position=position, limit=limit, tenant=tenant
        )

    async def put(self, entity: E, *, condition: Condition = ANY) -> None:
        try:
            await self._inner.put(entity, condition=condition)
        finally:
            tenant = _tenant_of(self.schema, entity)
            await self._gate.bump([(self.schema, tenant, self.schema.key_of(entity))])

    async def put_many(self, entities: Iterable[E] | AsyncIterable[E]) -> None:
        touched: list[Touched] = []

        def note(entity: E) -> E:
            touched.append(
                (self.schema, _tenant_of(self.schema, entity), _key_of(self.schema, entity))
            )
            return entity

        async def noted() -> AsyncIterable[E]:
            if isinstance(entities, AsyncIterable):
                async for entity in entities:
                    yield note(entity)
            else:
                for entity in entities:
                    yield note(entity)

        try:
            await self._inner.put_many(noted())
        finally:
            await self._gate.bump(touched)

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None:
        checked = self.schema.check_key(key)
        try:
            await self._inner.delete(tenant, checked, condition=condition)
        finally:
            await self._gate.bump([(self.schema, tenant, checked)])


_PLATFORM = PartitionKey("platform", "platform")


def _key_of(schema: EntitySchema[Any], entity: Any) -> EntityKey:
    try:
        return schema.key_of(entity)
    except AttributeError:
        return ()  # not an entity of the schema: put_many refuses it, nothing to bump


def _tenant_of(schema: EntitySchema[Any], entity: Any) -> PartitionKey:
    tenant = getattr(entity, "partition_key", None)
    return tenant if isinstance(tenant, PartitionKey) else _PLATFORM


class CachedUnitOfWork:
    """A unit of work that, once committed (or failed: it may have landed), invalidates
    what it wrote."""

    def __init__(self, inner: UnitOfWork, gate: Gate) -> None:
        self._inner = inner
        self._gate = gate
        self._touched: list[Touched] = []
        self._committed = False
        self.max_actions = inner.max_actions

    def put(self, entity: Any, *, condition: Condition = ANY) -> None:
        self._inner.put(entity, condition=condition)
        schema = schema_for(type(entity))
        self._touched.append((schema, _tenant_of(schema, entity), schema.key_of(entity)))

    def delete(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
        guards: Sequence[Any] = (),
    ) -> None:
        self._inner.delete(schema, tenant, key, condition=condition, guards=guards)
        self._touched.append((schema, tenant, tuple(key)))

    def require(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
    ) -> None:
        self._inner.require(schema, tenant, key, condition=condition)

    def increment(
        self,
        tenant: PartitionKey,
        counter_name: str,
        by: int,
        *,
        limit: int | None = None,
        schema: EntitySchema[Any] = TENANT_COUNTERS,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self._inner.increment(tenant, counter_name, by, limit=limit, schema=schema, extra=extra)
        self._touched.append((schema, tenant, (counter_name,)))

    async def commit(self) -> None:
        self._committed = True
        try:
            await self._inner.commit()
        finally:
            await self._gate.bump(self._touched)

    async def __aenter__(self) -> CachedUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._committed:
            await self.commit()
        else:
            await self._inner.__aexit__(exc_type, exc, tb)


class CachedStore:
    """``inner`` with a cache in front (see the module's docstring)."""

    def __init__(
        self, inner: Store, cache: Cache, *, ttl: int = 300, namespace: str = "aace"
    ) -> None:
        self.inner = inner
        self.adapter = inner.adapter
        self.gate = Gate(cache, ttl, namespace)
        self._repositories: dict[str, CachedRepository[Any]] = {}

    def repository(self, schema: EntitySchema[E]) -> CachedRepository[E]:
        found = self._repositories.get(schema.name)
        if found is None:
            found = CachedRepository(self.inner.repository(schema), self.gate)
            self._repositories[schema.name] = found
        return found

    def unit_of_work(self) -> CachedUnitOfWork:
        return CachedUnitOfWork(self.inner.unit_of_work(), self.gate)

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def verify(self) -> None:
        await self.inner.verify()

    async def ping(self) -> Health:
        """The inner store's ping, and one read of the cache (its epoch), timed."""
        found = await self.inner.ping()
        return Health(store=found.store, cache=await timed_check(self._probe_cache))

    async def _probe_cache(self) -> str:
        await self.gate.cache.get_many([f"{self.gate.namespace}:epoch"])
        return f"{type(self.gate.cache).__name__} answered"

    async def close(self) -> None:
        try:
            await self.inner.close()
        finally:
            await self.gate.cache.close()
