"""The legacy tables in memory: the :class:`~aace.domain.legacy_source.LegacySource` port's
reference implementation, so the migration's rules run in the fast suite.

Each table holds plain items in the deployed legacy layout (storage-layout.md, "The legacy
layout"): keyed on the legacy hash key, no ``partition_key`` nor ``part_id``, dates as the
text PynamoDB wrote. What the old code does (put, update, delete) is recorded in the table's
change stream (:mod:`.legacy_stream`), and so are in-place backfills, as on DynamoDB.
"""

from __future__ import annotations

import itertools
import json
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio.lowlevel
import attrs

from aace.adapters.memory.legacy_stream import Change, Iterators, MemoryStream, sequence_text
from aace.domain.errors import StorageMisconfigured, ValidationError
from aace.domain.fields import utc_now
from aace.domain.legacy_source import (
    ChangeKind,
    LegacyPage,
    LegacySource,
    Shard,
    SourceRecord,
    StreamBatch,
    StreamEvent,
    TableAddress,
    TableInfo,
)
from aace.domain.migration import LegacyTable, ParentLink, Unreadable, parents_tenants, table_named
from aace.domain.records import item_size
from aace.domain.schema import AttrKind, EntityKey, EntitySchema, TableNames
from aace.domain.tenancy import PartitionKey

__all__ = ["PYNAMODB_DATETIME", "MemoryLegacySource"]

#: How the deployed code (PynamoDB) stored a datetime.
PYNAMODB_DATETIME = "%Y-%m-%dT%H:%M:%S.%f%z"
#: The stream view ``create_table`` gives by default (the one ``follow`` needs).
FULL_VIEW = "NEW_AND_OLD_IMAGES"

Key = tuple[Any, Any]
Item = dict[str, Any]


def stored(value: Any) -> Any:
    """A value as the old code stored it: datetimes as PynamoDB's text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(PYNAMODB_DATETIME)
    return value


@attrs.define
class _Table:
    table: LegacyTable
    hash_key: str
    items: dict[Key, Item] = attrs.field(factory=dict)
    stream: MemoryStream | None = None

    def key_of(self, item: Mapping[str, Any]) -> Key:
        return item[self.hash_key], item[self.table.schema.range_key]


class MemoryLegacySource:
    """Legacy tables in memory, with change streams. ``location`` and ``table_names`` say
    where it stands (:meth:`address`): at a target's address, its backfilled tables are
    migrated in place; ``clock`` dates the changes."""

    def __init__(
        self,
        *,
        location: tuple[str, ...] | None = None,
        table_names: Callable[[EntitySchema[Any]], str] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.location = location or ("memory-legacy", uuid.uuid4().hex)
        self.table_names = table_names or TableNames()
        self.clock = clock
        self.name = f"memory-legacy://{'/'.join(self.location)}"
        self._tables: dict[str, _Table] = {}
        self._sequence = itertools.count(1)
        self._iterators = Iterators()

    # -- what the deployed code and the operator do ---------------------------------------

    def create_table(
        self, table: LegacyTable, *, stream: bool = True, hash_key: str | None = None
    ) -> None:
        """An empty table keyed as deployed (``hash_key``: another, not the legacy layout);
        ``stream``: its change stream on, with new and old images."""
        self._tables[table.name] = _Table(table, hash_key or table.legacy_hash_key)
        if stream:
            self.enable_stream(table)

    def drop_table(self, table: LegacyTable) -> None:
        del self._tables[table.name]

    def enable_stream(self, table: LegacyTable, view: str = FULL_VIEW) -> None:
        """Turn the table's stream on: a new stream, with changes from now on."""
        held = self._table(table)
        stream_id = f"memory-stream/{table.name}/{uuid.uuid4().hex[:8]}"
        held.stream = MemoryStream(stream_id, view, self.clock, lambda: next(self._sequence))

    def put(self, table: LegacyTable, item: Mapping[str, Any]) -> None:
        """Store ``item`` as the old code did (replacing the item with its key); None values
        are left out, datetimes stored as text."""
        held = self._table(table)
        new = {name: stored(value) for name, value in item.items() if value is not None}
        key = held.key_of(new)
        old = held.items.get(key)
        held.items[key] = new
        self._record(held, ChangeKind.INSERT if old is None else ChangeKind.MODIFY, new, old)

    def update(self, table: LegacyTable, key: Key, **attributes: Any) -> None:
        """Set attributes of a stored item, as an ``UpdateItem`` would (values as given:
        a test may store what does not decode)."""
        held = self._table(table)
        old = held.items[key]
        new = {**old, **attributes}
        held.items[key] = new
        self._record(held, ChangeKind.MODIFY, new, old)

    def delete(self, table: LegacyTable, key: Key) -> None:
        """Delete the item with ``key`` (hash value, range value), if any."""
        held = self._table(table)
        old = held.items.pop(key, None)
        if old is not None:
            self._record(held, ChangeKind.REMOVE, None, old)

    def item(self, table: LegacyTable, key: Key) -> Item | None:
        """The stored item with ``key``, as stored."""
        found = self._table(table).items.get(key)
        return None if found is None else dict(found)

    def items(self, table: LegacyTable) -> list[Item]:
        """Every stored item of the table, in key order."""
        held = self._table(table)
        return [dict(held.items[key]) for key in sorted(held.items)]

    def split_shard(self, table: LegacyTable) -> None:
        """Close the open shard of the table's stream; a child shard takes what follows."""
        self._stream(table).split()

    def trim_stream(self, table: LegacyTable) -> None:
        """Drop every change the table's stream holds, as 24 hours passing would."""
        self._stream(table).trim()

    def expire_iterators(self) -> None:
        """Every shard iterator handed out so far expires."""
        self._iterators.expire()

    # -- the port -------------------------------------------------------------------------

    def address(self, table: LegacyTable) -> TableAddress:
        return TableAddress(self.location, self.table_names(table.schema))

    async def describe(self, table: LegacyTable) -> TableInfo | None:
        await anyio.lowlevel.checkpoint()
        held = self._tables.get(table.name)
        if held is None:
            return None
        return TableInfo(
            name=self.address(table).table,
            hash_key=held.hash_key,
            item_count=len(held.items),
            size_bytes=sum(item_size(item) for item in held.items.values()),
            stream=held.stream.stream_id if held.stream else None,
            stream_view=held.stream.view if held.stream else None,
        )

    async def page(
        self, table: LegacyTable, segment: int, segments: int, position: str | None, limit: int
    ) -> LegacyPage:
        """The next ``limit`` items of the segment (items whose hash value falls in it), in
        key order after ``position`` (the last key read)."""
        await anyio.lowlevel.checkpoint()
        held = self._table(table)
        after = _position(position) if position is not None else None
        mine = sorted(
            key
            for key in held.items
            if _segment_of(key[0], segments) == segment and (after is None or key > after)
        )
        keys = mine[:limit]
        records = tuple(self._decode(held, held.items[key]) for key in keys)
        more = len(mine) > limit
        return LegacyPage(records, json.dumps(list(keys[-1])) if more else None)

    async def distinct_hash_values(self, table: LegacyTable) -> set[str]:
        await anyio.lowlevel.checkpoint()
        held = self._table(table)
        return {str(item[held.hash_key]) for item in held.items.values()}

    async def count(self, table: LegacyTable, *, missing: str | None = None) -> int:
        await anyio.lowlevel.checkpoint()
        items = self._table(table).items.values()
        return sum(1 for item in items if missing is None or missing not in item)

    async def parent_tenants(
        self, link: ParentLink, keys: Sequence[EntityKey]
    ) -> dict[EntityKey, PartitionKey]:
        await anyio.lowlevel.checkpoint()
        parents = self._table(table_named(link.parent.name))
        found = {key: parents.items.get((key[0], key[1])) for key in keys}
        return parents_tenants({key: item for key, item in found.items() if item is not None})

    async def backfill(
        self, table: LegacyTable, record: Mapping[str, Any], tenant: PartitionKey
    ) -> bool:
        await anyio.lowlevel.checkpoint()
        held = self._table(table)
        schema = table.schema
        key = (record[schema.hash_key], record[schema.range_key])
        old = held.items.get(key)
        wanted = {
            "partition_key": str(tenant),
            "endpoint_id": tenant.endpoint_id,
            "part_id": tenant.part_id,
        }
        if old is None or all(name in old for name in wanted):
            return False
        if any(name in old and old[name] != value for name, value in wanted.items()):
            return False
        new = {**old, **wanted}
        held.items[key] = new
        self._record(held, ChangeKind.MODIFY, new, old)
        return True

    async def shards(self, stream: str) -> list[Shard]:
        await anyio.lowlevel.checkpoint()
        return self._stream_named(stream).listed()

    async def shard_iterator(self, stream: str, shard_id: str, after: str | None) -> str | None:
        await anyio.lowlevel.checkpoint()
        start = self._stream_named(stream).start(shard_id, after)
        return self._iterators.make(stream, shard_id, start)

    async def read_shard(self, table: LegacyTable, iterator: str) -> StreamBatch:
        await anyio.lowlevel.checkpoint()
        stream_id, shard_id, after = self._iterators.parse(iterator)
        changes, last = self._stream_named(stream_id).read(shard_id, after)
        held = self._table(table)
        events = tuple(self._event(held, change) for change in changes)
        following = None if last is None else self._iterators.make(stream_id, shard_id, last)
        return StreamBatch(events, following)

    async def close(self) -> None:
        await anyio.lowlevel.checkpoint()

    # -- inside ---------------------------------------------------------------------------

    def _table(self, table: LegacyTable) -> _Table:
        held = self._tables.get(table.name)
        if held is None:
            name = self.address(table).table
            raise StorageMisconfigured(f"table {name} does not exist")
        return held

    def _stream(self, table: LegacyTable) -> MemoryStream:
        stream = self._table(table).stream
        if stream is None:
            raise ValidationError("stream", f"{table.name} has no stream")
        return stream

    def _stream_named(self, stream_id: str) -> MemoryStream:
        for held in self._tables.values():
            if held.stream is not None and held.stream.stream_id == stream_id:
                return held.stream
        raise StorageMisconfigured(f"stream {stream_id} does not exist")

    def _record(self, held: _Table, kind: ChangeKind, new: Item | None, old: Item | None) -> None:
        if held.stream is not None:
            held.stream.record(kind, new, old)

    def _event(self, held: _Table, change: Change) -> StreamEvent:
        new = None if change.new is None else self._decode(held, change.new)
        old = None if change.old is None else self._decode(held, change.old)
        return StreamEvent(sequence_text(change.sequence), change.kind, new, old, change.at)

    def _decode(self, held: _Table, item: Mapping[str, Any]) -> SourceRecord:
        """The item as a record, datetimes decoded; :class:`Unreadable` when one is not in
        PynamoDB's format (as the DynamoDB source refuses it)."""
        kinds = held.table.schema.attribute_kinds
        record: dict[str, Any] = {}
        try:
            for name, value in item.items():
                if kinds.get(name) is AttrKind.DT and not isinstance(value, datetime):
                    value = datetime.strptime(value, PYNAMODB_DATETIME)
                record[name] = value
        except (ValueError, TypeError) as exc:
            names = (held.table.legacy_hash_key, held.table.schema.range_key)
            key = {n: item[n] for n in names if n in item}
            return Unreadable(key, f"cannot be decoded: {exc}")
        return record


def _segment_of(hash_value: Any, segments: int) -> int:
    """The segment an item falls in: by its hash value, as DynamoDB splits a parallel scan."""
    return zlib.crc32(str(hash_value).encode()) % segments


def _position(position: str) -> Key:
    try:
        last = json.loads(position)
    except ValueError:
        last = None
    if not isinstance(last, list) or len(last) != 2:
        raise ValidationError("position", "is not a position this tool saved")
    return last[0], last[1]


if TYPE_CHECKING:  # the port, checked where the implementation is
    _PORT: type[LegacySource] = MemoryLegacySource
