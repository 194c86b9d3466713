"""The in-memory adapter: the executable specification of the ports.

Records are kept in storage-record form (deep copies), so the entity/record conversion is
exercised exactly as on the real backends, and every conditional and atomic rule of
:mod:`domain.ports` is implemented here in its plainest form.
"""

from __future__ import annotations

import asyncio
import copy
import heapq
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, assert_never

import attrs

from aace.adapters.health import timed_check
from aace.domain.bulk import BulkInput, put_in_chunks
from aace.domain.errors import ConditionFailed, Conflict, NotFound
from aace.domain.ports import ANY, PRESENT, Condition, ConditionKind, Health, ScanPage
from aace.domain.query import CursorCodec, Page, Query, ResolvedQuery, next_cursor, resolve
from aace.domain.records import from_record
from aace.domain.scan import ScanRequest, bucket, refuse_tenant_hashed
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey, require_operator
from aace.domain.unit_of_work import (
    NO_TENANT,
    Action,
    BufferedUnitOfWork,
    CheckAction,
    DeleteAction,
    IncrementAction,
    deleted_keys,
)

__all__ = ["MemoryRepository", "MemoryStore", "MemoryUnitOfWork"]

E = TypeVar("E")
Record = dict[str, Any]
#: table name -> hash value -> range value -> record
Tables = dict[str, dict[str, dict[str, Record]]]
#: Records put_many stores per lock.
PUT_MANY_CHUNK = 500


async def _in_memory() -> str:
    return "in memory"


class MemoryStore:
    """All tables in one process's memory; a lock makes each unit of work atomic."""

    adapter = "memory"

    def __init__(self, codec: CursorCodec) -> None:
        self.codec = codec
        self.tables: Tables = {}
        self.lock = asyncio.Lock()

    def repository(self, schema: EntitySchema[E]) -> MemoryRepository[E]:
        return MemoryRepository(self, schema)

    def unit_of_work(self) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self)

    async def initialize(self) -> None:
        """Nothing to prepare in memory."""

    async def verify(self) -> None:
        """Memory always holds the layout."""

    async def ping(self) -> Health:
        """Memory is always reachable and initialised (the check is timed like the others)."""
        return Health(store=await timed_check(_in_memory))

    async def close(self) -> None:
        self.tables.clear()

    # -- reference semantics shared by repositories and units of work ---------------------

    def partition(self, schema: EntitySchema[Any], hash_value: str) -> dict[str, Record]:
        return self.tables.setdefault(schema.name, {}).setdefault(hash_value, {})

    def locate(
        self, schema: EntitySchema[Any], tenant: PartitionKey, key: EntityKey
    ) -> tuple[dict[str, Record], str]:
        if schema.tenant_hashed:
            return self.partition(schema, str(tenant)), key[0]
        return self.partition(schema, key[0]), key[1]

    def current(
        self, schema: EntitySchema[Any], tenant: PartitionKey, key: EntityKey
    ) -> Record | None:
        """The tenant's record under ``key``; a foreign record reads as missing. A platform
        record is every tenant's."""
        rows, range_value = self.locate(schema, tenant, key)
        record = rows.get(range_value)
        if record is None or not schema.visible_to(tenant, record.get("partition_key")):
            return None
        return record

    def check(
        self, schema: EntitySchema[Any], tenant: PartitionKey, key: EntityKey, cond: Condition
    ) -> None:
        rows, range_value = self.locate(schema, tenant, key)
        stored = rows.get(range_value)
        own = (
            stored
            if stored is not None and schema.visible_to(tenant, stored.get("partition_key"))
            else None
        )
        foreign = stored is not None and own is None
        match cond.kind:
            case ConditionKind.ABSENT:
                if stored is not None:
                    raise Conflict(f"{schema.name} {key} already exists")
            case ConditionKind.ANY:
                if foreign:
                    raise Conflict(f"{schema.name} {key} already exists")
            case ConditionKind.NOT_NEWER:
                if foreign:
                    raise Conflict(f"{schema.name} {key} already exists")
                if not cond.holds(own):
                    raise ConditionFailed(f"{schema.name} {key} is newer in the store")
            case ConditionKind.PRESENT:
                if own is None:
                    raise NotFound(f"{schema.name} {key} not found")
                if not cond.holds(own):
                    raise ConditionFailed(f"{schema.name} {key} changed since it was read")
            case _:
                assert_never(cond.kind)

    def rows(self, resolved: ResolvedQuery) -> Iterator[Record]:
        """Every record of the listing, unsorted."""
        schema = resolved.schema
        if resolved.index is not None and resolved.index.hash_key != schema.hash_key:
            candidates: Iterator[Record] = (
                r
                for part in self.tables.get(schema.name, {}).values()
                for r in part.values()
                if r.get(resolved.hash_attr) == resolved.hash_value
            )
        else:
            candidates = iter(
                self.tables.get(schema.name, {}).get(resolved.hash_value, {}).values()
            )
        return (record for record in candidates if resolved.admits(record))


class MemoryRepository(Generic[E]):
    """Repository over :class:`MemoryStore` for one entity."""

    def __init__(self, store: MemoryStore, schema: EntitySchema[E]) -> None:
        self._store = store
        self.schema = schema

    async def get(self, tenant: PartitionKey, key: EntityKey) -> E:
        found = await self.find(tenant, key)
        if found is None:
            raise NotFound(f"{self.schema.name} {key} not found")
        return found

    async def find(self, tenant: PartitionKey, key: EntityKey) -> E | None:
        record = self._store.current(self.schema, tenant, self.schema.check_key(key))
        return None if record is None else from_record(self.schema, record)

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        checked = [self.schema.check_key(k) for k in keys]
        return [await self.find(tenant, key) for key in checked]

    async def put(self, entity: E, *, condition: Condition = ANY) -> None:
        async with self._store.unit_of_work() as uow:
            uow.put(entity, condition=condition)

    async def put_many(self, entities: BulkInput[E]) -> None:
        """Streamed in chunks of :data:`PUT_MANY_CHUNK`, each stored under the lock (never
        held while the input is read, so an async input may itself use the store); the
        writer of a platform registry is checked by :func:`put_in_chunks`."""

        async def write(records: list[Record]) -> None:
            async with self._store.lock:
                for record in records:  # fresh dicts: only nested values need copies
                    tenant = (
                        NO_TENANT
                        if self.schema.platform
                        else PartitionKey.parse(record["partition_key"])
                    )
                    rows, range_value = self._store.locate(
                        self.schema, tenant, self.schema.key_of_record(record)
                    )
                    rows[range_value] = {
                        name: copy.deepcopy(value) if isinstance(value, dict | list) else value
                        for name, value in record.items()
                    }

        await put_in_chunks(self.schema, entities, PUT_MANY_CHUNK, write)

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None:
        async with self._store.unit_of_work() as uow:
            uow.delete(self.schema, tenant, key, condition=condition)

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        resolved = resolve(self.schema, tenant, query, self._store.codec)
        rows = resolved.ordered(r for r in self._store.rows(resolved) if resolved.beyond(r))
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            cursor = next_cursor(resolved, self._store.codec, page[-1])
        return Page([from_record(self.schema, r) for r in page], cursor)

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        require_operator("exists_in_any_tenant")
        for part in self._store.tables.get(self.schema.name, {}).values():
            for record in part.values():
                if all(record.get(k) == v for k, v in equals.items()):
                    return True
        return False

    async def find_in_any_tenant(self, key: EntityKey) -> E | None:
        require_operator("find_in_any_tenant")
        checked = refuse_tenant_hashed(self.schema, key)
        record = self._store.partition(self.schema, checked[0]).get(checked[1])
        return None if record is None else from_record(self.schema, record)

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        resolved = resolve(self.schema, tenant, attrs.evolve(query, cursor=None), None)
        return sum(1 for _ in self._store.rows(resolved))

    async def scan(
        self,
        *,
        segment: int = 0,
        segments: int = 1,
        position: str | None = None,
        limit: int = 100,
        tenant: PartitionKey | None = None,
    ) -> ScanPage[E]:
        """The reference scan: records in (hash value, range value) order; a record is in
        segment ``md5(hash + "\\x1f" + range)[:4] % segments`` (its first 4 bytes, big-endian,
        over UTF-8: the SQL adapter's segments are the same); a position is the JSON object
        ``{hash_key: value, range_key: value}`` of the last record of its page."""
        schema = self.schema
        scan = ScanRequest.check(
            schema,
            segment=segment,
            segments=segments,
            position=position,
            limit=limit,
            tenant=tenant,
            bucketed=True,
        )
        after = scan.after

        def candidates() -> Iterator[tuple[tuple[str, str], Record]]:
            for hash_value, part in self._store.tables.get(schema.name, {}).items():
                for range_value, record in part.items():
                    key = (hash_value, range_value)
                    if after is not None and key <= after:
                        continue
                    if tenant is not None and record.get("partition_key") != str(tenant):
                        continue
                    if segments > 1 and bucket(*key) % segments != segment:
                        continue
                    yield key, record

        # the page and one more, without sorting the whole table for every page
        found = heapq.nsmallest(limit + 1, candidates(), key=lambda pair: pair[0])
        page = found[:limit]
        following = None
        if len(found) > limit:
            following = scan.position(*page[-1][0])
        return ScanPage([from_record(schema, record) for _, record in page], following)


class MemoryUnitOfWork(BufferedUnitOfWork):
    """Checks every action against the current state, then applies all, under one lock."""

    max_actions = 100

    def __init__(self, store: MemoryStore) -> None:
        super().__init__()
        self._store = store

    async def _apply(self, actions: Sequence[Action]) -> None:
        store = self._store
        async with store.lock:
            writes: list[tuple[dict[str, Record], str, Record | None]] = []
            for action in actions:
                if isinstance(action, IncrementAction):
                    writes.append(self._increment(action))
                    continue
                tenant = action.tenant
                key = action.key
                if isinstance(action, CheckAction):
                    store.check(action.schema, tenant, key, action.condition)
                    continue
                rows, range_value = store.locate(action.schema, tenant, key)
                if isinstance(action, DeleteAction):
                    if action.condition.kind is ConditionKind.ANY:
                        # Deleting what is not there (or not ours) is a no-op.
                        if store.current(action.schema, tenant, key) is not None:
                            writes.append((rows, range_value, None))
                        continue
                    store.check(action.schema, tenant, key, action.condition)
                    writes.append((rows, range_value, None))
                    continue
                store.check(action.schema, tenant, key, action.condition)
                writes.append((rows, range_value, copy.deepcopy(action.record)))
            self._check_guards(actions)
            for rows, range_value, record in writes:
                if record is None:
                    rows.pop(range_value, None)
                else:
                    rows[range_value] = record

    def _check_guards(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if not isinstance(action, DeleteAction):
                continue
            for guard in action.guards:
                if guard.covered:  # a wider guard of the unit counts its records
                    continue
                spared = deleted_keys(actions, guard.schema)
                resolved = resolve(guard.schema, action.tenant, guard.query, None)
                for record in self._store.rows(resolved):
                    if guard.schema.key_of_record(record) not in spared:
                        raise guard.refuse(action.schema.name, action.key)

    def _increment(self, action: IncrementAction) -> tuple[dict[str, Record], str, Record]:
        current = self._store.current(action.schema, action.tenant, action.key)
        record = action.applied_to(None if current is None else current["value"])
        rows, range_value = self._store.locate(action.schema, action.tenant, action.key)
        return rows, range_value, record
