"""The bulk path of ``run``: whole pages written in bulk requests where that is safe.

- **SQL targets** always: one newer-wins multi-row upsert per page (``INSERT … ON CONFLICT …
  DO UPDATE … WHERE`` the stored row is older), as safe as a conditional put per record.
- **DynamoDB targets** through BatchWriteItem, which is unconditional, only behind the job's
  **write fence**: ``fence/<table>`` in the job's state, recorded once per table before the
  job's first write to it, says ``bulk`` only when the target table was empty then and the
  job had no checkpoint of it (a job begun by an older version, or a target holding records,
  perhaps newer ones, takes the conditional path for good). Behind the fence the target
  holds nothing but what this job and its ``follow`` wrote; a resumed page is the same
  records again. A change ``follow`` applied meanwhile may be overwritten by an older copy:
  ``follow`` replays that table's stream once more from the start once its copy is done
  (:mod:`.follow`), newer wins, so every change arrives.
- **Less Python per record**: on DynamoDB, a legacy record that only needs re-keying
  (:class:`~aace.domain.migration.Rekeying`) goes from the scan's wire item to the write's
  with its tenant attributes added, never decoded; every other record is validated as an
  entity and encoded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, overload

import attrs

from aace.application.migration.bulk import Prepared, WriteBudget
from aace.application.migration.report import TableReport
from aace.application.migration.sinks import CopySink
from aace.application.migration.state import JobState, stamp_now
from aace.domain.errors import (
    ConditionFailed,
    Conflict,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
    ValidationError,
)
from aace.domain.legacy_source import LegacyPage, LegacySource, SourceRecord
from aace.domain.migration import LegacyTable, Unreadable, migrated, rekeying
from aace.domain.ports import Store
from aace.domain.records import to_record
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = [
    "DynamoPageSink",
    "PageRecords",
    "SqlPageSink",
    "WireItem",
    "bulk_allowed",
    "page_sink",
    "page_writer",
    "prepare_wire",
    "wire_rekey",
]

#: A record one request writes: what a failure in it refuses (the job's records failures).
RECORD_FAILURES = (ValidationError, Conflict)


class PageRecords(Sequence[SourceRecord]):
    """A scanned page's records, with the items as the source sent them (``wire``)."""

    def __init__(self, page: LegacyPage) -> None:
        self.records = page.records
        self.wire = page.wire

    def __len__(self) -> int:
        return len(self.records)

    @overload
    def __getitem__(self, index: int) -> SourceRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SourceRecord]: ...

    def __getitem__(self, index: int | slice) -> SourceRecord | Sequence[SourceRecord]:
        return self.records[index]


@attrs.frozen
class WireItem:
    """A legacy item re-keyed on the wire, and the page it came from (``records[index]``:
    the record decoded, should the item have to be written on its own)."""

    item: dict[str, Any]
    records: Sequence[SourceRecord]
    index: int


async def bulk_allowed(state: JobState, table: str, is_empty: Callable[[], Any]) -> bool:
    """The job's write fence of ``table``: recorded by the first worker that gets here,
    before any write of the job to the table (bulk when the job has no checkpoint of the
    table yet and ``is_empty()``); every other worker and every resumed run reads it."""
    item = f"fence/{table}"
    saved = await state.get(item)
    if saved is None:
        begun = [name async for name, _ in state.items(f"segment/{table}/")]
        bulk = not begun and bool(await is_empty())
        try:
            await state.put(item, {"bulk": bulk, "at": stamp_now()}, create=True)
            return bulk
        except Conflict:  # another worker decided first
            saved = await state.get(item) or {}
    return saved.get("bulk") is True


async def prepare_wire(
    legacy: LegacySource, table: LegacyTable, records: PageRecords, rekey: Callable[..., Any]
) -> tuple[list[Prepared], list[int]]:
    """The page's records that only need re-keying, re-keyed on the wire (a child without a
    tenant takes its parent's: the parents read in one batch); and the indexes of the
    others (prepared as entities by the caller, validated)."""
    ready: list[Prepared] = []
    others: list[int] = []
    wire = records.wire or ()
    parents = await _parents(legacy, table, wire)
    names = (table.legacy_hash_key, table.schema.range_key)
    for index, item in enumerate(wire):
        parent = None
        if "endpoint_id" not in item and table.parent is not None:
            wanted = _parent_key(table, item)
            parent = parents.get(wanted) if wanted is not None else None
            if parent is None:
                others.append(index)  # reported by the full transform: no parent found
                continue
        done = rekey(item, parent)
        if done is None:
            others.append(index)
            continue
        tenant, rekeyed = done
        key = {n: item[n]["S"] for n in names if n in item and "S" in item[n]}
        ready.append(Prepared(tenant, key, WireItem(rekeyed, records.records, index)))
    return ready, others


def _parent_key(table: LegacyTable, item: Mapping[str, Any]) -> EntityKey | None:
    link = table.parent
    if link is None:
        return None
    return link.key_of({f: item[f].get("S") for f in link.fields if f in item})


async def _parents(
    legacy: LegacySource, table: LegacyTable, wire: Sequence[Mapping[str, Any]]
) -> dict[EntityKey, PartitionKey]:
    """The tenants of the parents of the page's children without one (one batched read)."""
    link = table.parent
    if link is None:
        return {}
    wanted = [
        key
        for item in wire
        if "endpoint_id" not in item
        and "partition_key" not in item
        and (key := _parent_key(table, item)) is not None
    ]
    return await legacy.parent_tenants(link, wanted) if wanted else {}


class DynamoPageSink:
    """A page in BatchWriteItem requests (behind the write fence): wire items as they are,
    entities encoded. A request DynamoDB refuses as a whole (an item too large, an empty
    index key) is written again record by record through the conditional path, each
    validated, which names the bad one."""

    def __init__(self, store: Store, table: LegacyTable, writer: Any, copies: int) -> None:
        self.table = table
        self.schema = table.schema
        self.writer = writer
        self.codec = writer.codec
        self.fallback = CopySink(store.repository(table.schema))
        self.copies = copies

    async def write_page(
        self, prepared: Sequence[Prepared], report: TableReport, budget: WriteBudget
    ) -> None:
        items = [self._item(p.value) for p in prepared]
        try:
            await self.writer.write(items, budget.take, budget.settle)
        except (ValidationError, StorageError) as refused:
            if isinstance(refused, StorageUnavailable | StorageMisconfigured):
                raise  # the job stops; a resumed run redoes the page
            await _one_by_one(self.fallback, prepared, report, self._entity)
            return
        for p in prepared:
            report.count(p.tenant, "written")

    def _item(self, value: Any) -> dict[str, Any]:
        if isinstance(value, WireItem):
            return value.item
        encoded: dict[str, Any] = self.codec.encode(to_record(self.schema, value))
        return encoded

    def _entity(self, value: Any) -> Any:
        if not isinstance(value, WireItem):
            return value
        record = value.records[value.index]
        if isinstance(record, Unreadable):
            raise ValidationError("record", record.reason)
        return migrated(self.table, record)


class SqlPageSink:
    """A page in one newer-wins multi-row upsert; a record it did not write (a newer or
    another tenant's row under its key) goes through the conditional path, which says which
    (skipped, or refused)."""

    def __init__(self, store: Store, schema: EntitySchema[Any], writer: Any, copies: int) -> None:
        self.schema = schema
        self.writer = writer
        self.fallback = CopySink(store.repository(schema))
        self.copies = copies

    async def write_page(
        self, prepared: Sequence[Prepared], report: TableReport, budget: WriteBudget
    ) -> None:
        records = [to_record(self.schema, p.value) for p in prepared]
        if budget.rate is not None:
            await budget.take(float(sum(budget.units(p.size, self.copies) for p in prepared)))
        written = await self.writer.write(records)
        missed = []
        for p, record in zip(prepared, records, strict=True):
            if self.writer.key_of(record) in written:
                report.count(p.tenant, "written")
            else:
                missed.append(p)
        await _one_by_one(self.fallback, missed, report, lambda value: value)


async def _one_by_one(
    sink: CopySink,
    prepared: Sequence[Prepared],
    report: TableReport,
    entity_of: Callable[[Any], Any],
) -> None:
    for p in prepared:
        try:
            outcome = await sink.write(attrs.evolve(p, value=entity_of(p.value)))
        except ConditionFailed:
            outcome = "skipped"
        except RECORD_FAILURES as exc:
            report.fail(p.tenant, p.key, str(exc))
            continue
        report.count(p.tenant, outcome)


def page_writer(store: Store, schema: EntitySchema[Any], copies: int, in_flight: int) -> Any:
    """The bulk writer of ``schema``'s table in ``store`` (None when its adapter has none:
    the memory store takes the conditional path). A store may make its own
    (``migration_writer``: tests wrap the real one to fail on purpose)."""
    own = getattr(store, "migration_writer", None)
    if own is not None:
        return own(schema, copies, in_flight)
    adapter = getattr(store, "adapter", None)
    if adapter == "dynamodb" and hasattr(store, "target") and hasattr(store, "runner"):
        from aace.adapters.dynamodb.bulk_writer import DynamoBulkWriter

        codec, name = store.target(schema)
        runner = store.runner
        return DynamoBulkWriter(runner, name, codec, copies=copies, in_flight=in_flight)
    if adapter in ("sqlite", "postgresql") and hasattr(store, "entity_table"):
        from aace.adapters.sql.bulk_writer import SqlBulkWriter

        return SqlBulkWriter(store, schema)  # type: ignore[arg-type]
    return None


def wire_rekey(table: LegacyTable, writer: Any) -> Callable[[Any], Any] | None:
    """The wire re-keying of ``table`` into a DynamoDB ``writer`` (None: no such path)."""
    rule = rekeying(table)
    codec = getattr(writer, "codec", None)
    if rule is None or codec is None:
        return None
    from aace.adapters.dynamodb.bulk_writer import WireRekey

    return WireRekey(rule, codec)


def page_sink(
    store: Store, table: LegacyTable, writer: Any, copies: int
) -> DynamoPageSink | SqlPageSink:
    """The page sink over ``writer``: DynamoDB's (it has a codec) or SQL's."""
    if getattr(writer, "codec", None) is not None:
        return DynamoPageSink(store, table, writer, copies)
    return SqlPageSink(store, table.schema, writer, copies)
