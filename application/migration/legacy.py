"""``aace migrate plan`` and ``run``: the legacy tables into the new layout.

Re-keyed tables are copied; child tables are backfilled in place when the target names the
same table, copied otherwise; records without a tenant take their parent's (one batched
read per page); registries are copied unchanged; the tenant counters are made once the
agents are all copied. See :mod:`aace.domain.migration` for the rules and
:mod:`.bulk` for how segments, checkpoints and the write budget work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial
from typing import Any

import attrs

from aace.application.migration.batched import (
    PageRecords,
    bulk_allowed,
    page_sink,
    page_writer,
    prepare_wire,
    wire_rekey,
)
from aace.application.migration.bulk import (
    BulkOptions,
    PageSink,
    Prepared,
    Progress,
    Sink,
    TableJob,
    all_done,
    begin_job,
    gather,
    new_job,
    refuse_unresumed,
    run_segments,
    size_of,
)
from aace.application.migration.counters import recount_agents
from aace.application.migration.endpoints import legacy_source, table_address, target_store
from aace.application.migration.report import Report
from aace.application.migration.sinks import BackfillSink, CopySink, DrySink, SkipSink
from aace.application.migration.state import OPERATOR, JobState
from aace.application.settings import Settings
from aace.application.storage import redacted
from aace.domain.errors import ValidationError
from aace.domain.legacy_source import Backfill, LegacySource, SourceRecord, TableInfo
from aace.domain.migration import (
    LEGACY_TABLES,
    CopyEstimate,
    LegacyTable,
    Treatment,
    Unreadable,
    estimate_copy,
    legacy_key,
    migrated,
    table_named,
    tenant_of,
)
from aace.domain.ports import Store
from aace.domain.schema import EntityKey
from aace.domain.tenancy import PartitionKey, as_operator

__all__ = [
    "STREAM_VIEW",
    "Source",
    "TablePlan",
    "chosen_tables",
    "plan",
    "plan_tables",
    "prepare_page",
    "run",
]

#: Where a job reads the legacy tables: settings naming them, or an open source.
Source = Settings | LegacySource

#: The stream view ``follow`` needs: new images to copy, old images to date deletes.
STREAM_VIEW = "NEW_AND_OLD_IMAGES"


def chosen_tables(names: Sequence[str]) -> tuple[LegacyTable, ...]:
    """The legacy tables named (all when none), in migration order."""
    if not names:
        return LEGACY_TABLES
    wanted = {table_named(name).name for name in names}
    return tuple(t for t in LEGACY_TABLES if t.name in wanted)


@attrs.frozen
class TablePlan:
    """What ``run`` would do with one table."""

    table: LegacyTable
    source: str
    target: str
    action: str
    records: int | None
    tenants: int | None
    stream: str | None
    refused: str | None = None
    notes: tuple[str, ...] = ()
    #: The target is the legacy table itself (a backfill in place, or a registry).
    in_place: bool = False
    #: The id of the table's change stream (None when it has none).
    stream_id: str | None = None
    #: What copying it costs (None: nothing to write, or the table is missing).
    estimate: CopyEstimate | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table.name,
            "source": self.source,
            "target": self.target,
            "action": self.action,
            "records_estimated": self.records,
            "tenants": self.tenants,
            "stream": self.stream,
            "refused": self.refused,
            "notes": list(self.notes),
            "estimate": None if self.estimate is None else self.estimate.as_dict(),
        }


def _action(table: LegacyTable, in_place: bool) -> str:
    if table.treatment is Treatment.REKEY:
        return "copy, re-keyed on partition_key"
    if table.treatment is Treatment.REGISTRY:
        return "nothing (the target is this table)" if in_place else "copy unchanged"
    via = f" (tenant from {table.parent.parent.name})" if table.parent else ""
    return ("backfill in place" if in_place else "copy with tenant attrs") + via


async def plan(
    source: Source,
    target: Settings,
    names: Sequence[str] = (),
    *,
    count_tenants: bool = True,
    max_wcu: float | None = None,
) -> list[TablePlan]:
    """Per table: the action, the records (DynamoDB's estimate), the tenants (a scan of the
    re-keyed tables' hash keys), the stream, what would be refused, and what copying it
    costs (requests, write units, minutes at ``max_wcu``)."""
    async with legacy_source(source) as legacy:
        plans = await plan_tables(legacy, target, names, count_tenants=count_tenants)
        sizes = {p.table.name: await legacy.describe(p.table) for p in plans}
    return [_estimated(p, sizes[p.table.name], max_wcu) for p in plans]


def _estimated(p: TablePlan, info: TableInfo | None, max_wcu: float | None) -> TablePlan:
    if info is None or (p.in_place and p.table.treatment is Treatment.REGISTRY):
        return p
    copies = 1 + len(p.table.schema.indexes)
    bulk = not p.in_place  # into an empty target table: the write fence lets bulk through
    estimate = estimate_copy(info.item_count, info.size_bytes, copies, bulk=bulk, max_wcu=max_wcu)
    return attrs.evolve(p, estimate=estimate)


async def plan_tables(
    legacy: LegacySource,
    target: Settings,
    names: Sequence[str] = (),
    *,
    count_tenants: bool = True,
) -> list[TablePlan]:
    """:func:`plan` on an open source."""
    tables = chosen_tables(names)
    plans: dict[str, TablePlan] = {}

    async def one(table: LegacyTable) -> None:
        plans[table.name] = await _plan_one(legacy, target, table, count_tenants)

    await gather([partial(one, table) for table in tables])
    return [plans[table.name] for table in tables]


async def _plan_one(
    legacy: LegacySource, target: Settings, table: LegacyTable, count_tenants: bool
) -> TablePlan:
    where = table_address(target, table.schema)
    in_place = legacy.address(table) == where
    target_name = where.table
    info = await legacy.describe(table)
    source_name = legacy.address(table).table
    base = TablePlan(
        table,
        source_name,
        target_name,
        _action(table, in_place),
        records=None,
        tenants=None,
        stream=None,
        in_place=in_place,
    )
    if info is None:
        return attrs.evolve(base, notes=("missing: skipped",))
    notes: list[str] = []
    refused = None
    if table.treatment is Treatment.REKEY and in_place:
        refused = f"{target_name} is the legacy table itself: a re-keyed table needs a new one"
    elif info.hash_key != table.legacy_hash_key:
        refused = f"hashed on {info.hash_key}, not {table.legacy_hash_key}: not the legacy layout"
    if info.stream_view != STREAM_VIEW:
        notes.append(
            f"follow needs its stream: enable {STREAM_VIEW} (now {info.stream_view or 'off'})"
        )
    tenants = None
    if count_tenants and table.treatment is Treatment.REKEY and refused is None:
        tenants = len(await legacy.distinct_hash_values(table))
    return attrs.evolve(
        base,
        records=info.item_count,
        tenants=tenants,
        stream=info.stream_view,
        stream_id=info.stream,
        refused=refused,
        notes=tuple(notes),
    )


async def prepare_page(
    legacy: LegacySource,
    table: LegacyTable,
    records: Sequence[SourceRecord],
    *,
    in_place: bool,
) -> list[Prepared]:
    """Each legacy record with its tenant (parents read in one batch) and what is written:
    the new layout's entity, or for a backfill in place the record and its tenant. A record
    that cannot be decoded or migrated is prepared as refused, with its key and the reason."""
    parents: dict[EntityKey, PartitionKey] = {}
    link = table.parent
    readable = [r for r in records if not isinstance(r, Unreadable)]
    if link is not None:
        wanted = [
            parent_key
            for record in readable
            if not record.get("endpoint_id")
            and not record.get("partition_key")
            and (parent_key := link.key_of(record)) is not None
        ]
        if wanted:
            parents = await legacy.parent_tenants(link, wanted)
    return [_prepared(table, record, parents, in_place) for record in records]


def _prepared(
    table: LegacyTable,
    record: SourceRecord,
    parents: dict[EntityKey, PartitionKey],
    in_place: bool,
) -> Prepared:
    if isinstance(record, Unreadable):
        return Prepared(None, record.key, error=record.reason)
    key = legacy_key(table, record)
    parent_key = table.parent.key_of(record) if table.parent is not None else None
    parent = parents.get(parent_key) if parent_key is not None else None
    try:
        if table.treatment is Treatment.REGISTRY:
            return Prepared(None, key, migrated(table, record), size=size_of(record))
        tenant = tenant_of(table, record, parent)
        if in_place and table.treatment is Treatment.BACKFILL:
            migrated(table, record, parent)  # refused in place too if it is not valid
            return Prepared(str(tenant), key, Backfill(record, tenant), size=size_of(record))
        return Prepared(str(tenant), key, migrated(table, record, parent), size=size_of(record))
    except ValidationError as exc:
        return Prepared(None, key, error=str(exc))


async def run(
    source: Source,
    target: Settings,
    options: BulkOptions,
    names: Sequence[str] = (),
    *,
    progress: Progress | None = None,
    store: Store | None = None,
    without_stream: bool = False,
) -> Report:
    """Migrate the legacy tables into the target (``store``: an already open target, as
    tests give a store that fails on purpose). Refuses before writing anything when a
    re-keyed table would be its own target or a table is not in the legacy layout."""
    began = time.time()
    async with legacy_source(source) as legacy:
        plans = await plan_tables(legacy, target, names, count_tenants=False)
        refused = [p for p in plans if p.refused]
        if refused:
            reasons = "; ".join(f"{p.table.name}: {p.refused}" for p in refused)
            raise ValidationError("to", reasons)
        present = [p for p in plans if p.records is not None]
        unfollowed = [p.table.name for p in present if p.stream != STREAM_VIEW]
        if unfollowed and not (without_stream or options.dry_run):
            raise ValidationError(
                "from",
                f"these tables have no {STREAM_VIEW} stream: {', '.join(unfollowed)}",
                hint="enable it before the run (docs/migration.md), or pass --without-stream "
                "when nothing writes to the legacy tables until the switch",
            )
        async with target_store(target, store, create=not options.dry_run) as opened:
            report = await _run(legacy, opened, target, options, plans, progress)
    report.timings["started_at"] = began
    if "first_write_at" in report.timings:
        startup = report.timings["first_write_at"] - began
        report.notes.append(f"start-up: first write {startup:.2f} s after the job began")
    return report


async def _run(
    legacy: LegacySource,
    store: Store,
    target: Settings,
    options: BulkOptions,
    plans: Sequence[TablePlan],
    progress: Progress | None,
) -> Report:
    present = [p for p in plans if p.records is not None]
    report, description = new_job(
        "run",
        options,
        legacy.name,
        redacted(target.storage_url),
        [p.table.name for p in present],
        stream=all(p.stream == STREAM_VIEW for p in present),
    )
    state = JobState(store, options.job, dry=options.dry_run)
    with as_operator(OPERATOR):
        await begin_job(state, options, description)
        await refuse_unresumed([p.table.name for p in present], options, state)
        jobs = await _table_jobs(legacy, store, present, options, state)
        await run_segments(jobs, options, state, report, progress)
        report.mark("copied_at")
        if not options.dry_run and any(p.table.name == "agents" for p in present):
            if await all_done(state, "agents", options.segments):
                counted = await recount_agents(store)
                seconds = time.time() - report.timings["copied_at"]
                report.notes.append(
                    f"tenant counters: agents counted for {counted} tenants in {seconds:.1f} s"
                )
            else:
                report.notes.append("tenant counters: made by the worker that finishes agents")
    for p in plans:
        report.notes.extend(f"{p.table.name}: {note}" for note in p.notes)
    return report


async def _table_jobs(
    legacy: LegacySource,
    store: Store,
    present: Sequence[TablePlan],
    options: BulkOptions,
    state: JobState,
) -> list[TableJob[SourceRecord]]:
    """Every table's job, their write fences decided at once (a few requests each)."""
    jobs: dict[str, TableJob[SourceRecord]] = {}

    async def one(p: TablePlan) -> None:
        jobs[p.table.name] = await _table_job(legacy, store, p, options, state)

    await gather([partial(one, p) for p in present])
    return [jobs[p.table.name] for p in present]


async def _table_job(
    legacy: LegacySource, store: Store, p: TablePlan, options: BulkOptions, state: JobState
) -> TableJob[SourceRecord]:
    """How one table is read, prepared and written: in bulk where :mod:`.batched` says it
    is safe (a SQL target; a DynamoDB target behind the job's write fence), else one
    conditional write per record."""
    table = p.table
    in_place = p.in_place
    copies = 1 + len(table.schema.indexes)
    sink: Sink | PageSink
    rekey = None
    if table.treatment is Treatment.REGISTRY and in_place:
        sink = SkipSink()
    elif options.dry_run:
        sink = DrySink()
    elif in_place:
        sink = BackfillSink(legacy, table)
    else:
        sink = CopySink(store.repository(table.schema))
        in_flight = max(1, options.concurrency // 4)
        writer = page_writer(store, table.schema, copies, in_flight)
        if writer is not None and (
            not hasattr(writer, "codec") or await bulk_allowed(state, table.name, writer.is_empty)
        ):
            sink = page_sink(store, table, writer, copies)
            rekey = wire_rekey(table, writer)

    async def pager(
        segment: int, segments: int, position: str | None
    ) -> tuple[Sequence[SourceRecord], str | None]:
        page = await legacy.page(table, segment, segments, position, options.page_size)
        return (PageRecords(page) if page.wire is not None else page.records), page.position

    async def prepare(records: Sequence[SourceRecord]) -> list[Prepared]:
        if rekey is None or not isinstance(records, PageRecords):
            return await prepare_page(legacy, table, records, in_place=in_place)
        ready, others = await prepare_wire(legacy, table, records, rekey)
        if others:
            rest = [records.records[i] for i in others]
            ready += await prepare_page(legacy, table, rest, in_place=in_place)
        return ready

    return TableJob(table.name, p.action, p.target, pager, prepare, sink, copies)
