"""The bulk path every job shares: checkpointed scan segments, bounded concurrent writes
under a write budget, and the report.

A job scans each table in ``segments`` parallel segments; this process takes those of its
``--worker I/K``. After every page it writes, it saves the segment's position and counts in
one state record (:mod:`.state`), so a crash or Ctrl-C loses at most the page under way,
which a resumed run writes again: every write is idempotent (newer-wins puts, conditional
backfills), so nothing is lost or duplicated.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from functools import partial
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import anyio
import attrs

from aace.application.migration.report import Report, TableReport
from aace.application.migration.state import JobState, stamp_now
from aace.domain.errors import (
    ConditionFailed,
    Conflict,
    Forbidden,
    ValidationError,
    first_error,
)
from aace.domain.migration import segments_of
from aace.domain.records import item_size

__all__ = [
    "BulkOptions",
    "Outcome",
    "PageSink",
    "Pager",
    "Prepared",
    "Progress",
    "Sink",
    "WriteBudget",
    "run_segments",
]

#: How many tables a job works on at once (each with all its segments).
TABLES_AT_ONCE = 4

#: What refuses one record and the job goes on (reported with its key); anything else, a
#: storage error above all, stops the job, which a resumed run continues from the page.
RECORD_FAILURES = (ValidationError, Conflict, Forbidden)

#: How one write ended, as the report counts it.
Outcome = str  # "written" or "skipped"


@attrs.frozen
class Prepared:
    """One source record made ready: its tenant and key (for the report), and what the sink
    writes (``None`` with ``error`` when it was refused)."""

    tenant: str | None
    key: dict[str, Any]
    value: Any = None
    error: str | None = None
    size: int = 1024


@runtime_checkable
class Sink(Protocol):
    async def write(self, prepared: Prepared) -> Outcome: ...


class PageSink(Protocol):
    """Writes a page's prepared records at once (in bulk requests), counting each."""

    async def write_page(
        self, prepared: Sequence[Prepared], report: TableReport, budget: WriteBudget
    ) -> None: ...


#: A record as a job's source gives it (a legacy record, an entity of the new layout).
R = TypeVar("R")
#: Reads one page of one segment: (records, next position or None at the end).
Pager = Callable[[int, int, str | None], Awaitable[tuple[Sequence[R], str | None]]]
#: Turns a page of source records into writes (may batch lookups, e.g. parents).
Prepare = Callable[[Sequence[R]], Awaitable[list[Prepared]]]


@attrs.frozen
class BulkOptions:
    """How a job runs: its segments and this worker's share, resuming or not, dry or not,
    the write budget (``max_wcu``: write capacity units per second for all ``workers``
    together; each takes its share), the page size and the writes in flight per segment."""

    job: str = "migrate"
    segments: int = 1
    worker: int = 1
    workers: int = 1
    resume: bool = False
    dry_run: bool = False
    max_wcu: float | None = None
    page_size: int = 100
    concurrency: int = 16

    def __attrs_post_init__(self) -> None:
        segments_of(self.worker, self.workers, self.segments)  # refuses a bad share
        if self.max_wcu is not None and not self.max_wcu > 0:
            raise ValidationError("max_wcu", f"must be positive, got {self.max_wcu}")
        if not 1 <= self.page_size <= 1000:
            raise ValidationError("page_size", f"must be from 1 to 1000, got {self.page_size}")
        if not 1 <= self.concurrency <= 256:
            raise ValidationError("concurrency", f"must be from 1 to 256, got {self.concurrency}")

    @property
    def my_segments(self) -> Sequence[int]:
        return segments_of(self.worker, self.workers, self.segments)


class WriteBudget:
    """A token bucket of write capacity units per second (``None``: unbounded). A write of
    ``size`` bytes costs one unit per started KB, as DynamoDB charges a standard write."""

    def __init__(self, per_second: float | None) -> None:
        self.rate = per_second
        self.tokens = per_second or 0.0
        self.last = 0.0
        self.lock = anyio.Lock()

    @staticmethod
    def units(size: int, copies: int = 1) -> int:
        """The units a write of ``size`` bytes to ``copies`` places costs."""
        return max(1, math.ceil(size / 1024)) * copies

    async def spend(self, size: int, copies: int = 1) -> None:
        """Wait until a write of ``size`` bytes to ``copies`` places (the table and each
        index the record is projected into) fits the budget."""
        if self.rate is not None:
            await self.take(float(self.units(size, copies)))

    async def take(self, units: float) -> None:
        """Wait until ``units`` (an estimate, settled later) fit the budget."""
        if self.rate is None:
            return
        async with self.lock:
            now = anyio.current_time()
            self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
            self.last = now
            self.tokens -= units
            if self.tokens < 0:
                await anyio.sleep(-self.tokens / self.rate)

    def settle(self, estimated: float, consumed: float) -> None:
        """A request said what it consumed: the difference from what was taken for it
        comes off (or back to) the next requests' share."""
        if self.rate is not None:
            self.tokens = min(self.rate, self.tokens + estimated - consumed)


class Progress(Protocol):
    """Where a job shows its progress (a rich display on a terminal, nothing in tests)."""

    def advance(self, table: str, records: int) -> None: ...


def size_of(record: Any) -> int:
    """The size a record is charged by (its DynamoDB item size)."""
    return item_size(record) if isinstance(record, dict) else 1024


async def _write_all(
    prepared: list[Prepared],
    sink: Sink | PageSink,
    report: TableReport,
    budget: WriteBudget,
    limit: int,
    copies: int = 1,
) -> None:
    if not isinstance(sink, Sink):
        for item in prepared:
            report.count(item.tenant, "read")
            if item.error is not None:
                report.fail(item.tenant, item.key, item.error)
        await sink.write_page([p for p in prepared if p.error is None], report, budget)
        return
    slots = anyio.Semaphore(limit)

    async def one(item: Prepared) -> None:
        async with slots:
            await budget.spend(item.size, copies)
            try:
                outcome = await sink.write(item)
            except ConditionFailed:
                outcome = "skipped"  # the target holds a newer record
            except RECORD_FAILURES as exc:  # this record is refused; storage errors stop the job
                report.fail(item.tenant, item.key, str(exc))
                return
            report.count(item.tenant, outcome)

    for item in prepared:
        report.count(item.tenant, "read")
        if item.error is not None:
            report.fail(item.tenant, item.key, item.error)
    await gather([partial(one, item) for item in prepared if item.error is None])


@attrs.frozen
class TableJob(Generic[R]):
    """One table of a job: how to read it, prepare its records and write them."""

    name: str
    treatment: str
    target: str
    pager: Pager[R]
    prepare: Prepare[R]
    sink: Sink | PageSink
    #: Where one write lands: the table and every index (each projects all attributes).
    copies: int = 1


def _tally_item(table: str, segment: int, page: int) -> str:
    return f"tally/{table}/{segment}/{page:09d}"


async def _segment(
    table: TableJob[R],
    segment: int,
    options: BulkOptions,
    state: JobState,
    budget: WriteBudget,
    progress: Progress | None,
    job: Report | None = None,
) -> TableReport:
    """One segment of one table: resume from its checkpoint, then for every page (the next
    one read while it is written) write the page's counts (a ``tally/…`` item of its own),
    then the checkpoint (position and pages done). A crash between the two redoes the page
    and overwrites its tally, so the counts of a resumed job are those of the whole job, and
    no state record grows with the job. A page's two state writes go while the next page is
    written (after its own writes, before the next page's), off the critical path."""
    item = f"segment/{table.name}/{segment}"
    saved = await state.get(item) or {}
    position, pages, done = checkpoint_of(item, saved)
    report = TableReport(table.name, table.treatment, table.target)
    async for name, tally in state.items(f"tally/{table.name}/{segment}/"):
        if int(name.rsplit("/", 1)[1]) < pages:
            report.merge(TableReport.restored(table.name, table.treatment, table.target, tally))
    if done:
        return report
    records, position = await table.pager(segment, options.segments, position)
    saving: list[Callable[[], Coroutine[Any, Any, None]]] = []
    while True:
        page = TableReport(table.name, table.treatment, table.target)
        prepared = await table.prepare(records)
        ahead: list[tuple[Sequence[R], str | None]] = []
        following = position

        async def write(prepared: list[Prepared] = prepared, page: TableReport = page) -> None:
            if job is not None:
                job.mark("first_write_at")
            await _write_all(prepared, table.sink, page, budget, options.concurrency, table.copies)

        async def read_ahead(
            after: str | None = following, into: list[tuple[Sequence[R], str | None]] = ahead
        ) -> None:
            into.append(await table.pager(segment, options.segments, after))

        async def save(
            number: int = pages,
            after: str | None = following,
            page: TableReport = page,
            count: int = len(records),
        ) -> None:
            await state.put(_tally_item(table.name, segment, number), page.saved())
            done = after is None
            await state.put(item, {"position": after, "done": done, "pages": number + 1})
            report.merge(page)
            if progress is not None:
                progress.advance(table.name, count)

        # the next page is read, and the last one's state saved, while this one is written
        await gather([write, *([read_ahead] if following is not None else []), *saving])
        saving = [save]
        pages += 1
        if following is None:
            await save()
            return report
        records, position = ahead[0]


def checkpoint_of(item: str, saved: Mapping[str, Any]) -> tuple[str | None, int, bool]:
    """(position, pages done, done) of a saved checkpoint; a record this tool did not
    write is refused by name rather than misread."""
    position, pages, done = saved.get("position"), saved.get("pages", 0), saved.get("done", False)
    if not (position is None or isinstance(position, str)) or not isinstance(pages, int):
        raise ValidationError("state", f"{item} is not a checkpoint this tool wrote")
    return position, pages, bool(done)


def new_job(
    command: str,
    options: BulkOptions,
    source: str,
    target: str,
    tables: Sequence[str],
    tenant: str | None = None,
    **extra: Any,
) -> tuple[Report, dict[str, Any]]:
    """A job's empty report and its description (:func:`begin_job` records or checks it);
    ``source`` and ``target`` name the stores without passwords."""
    report = Report(command, options.job, source, target, options.dry_run)
    description = {
        "command": command,
        "source": source,
        "target": target,
        "tenant": tenant,
        "tables": list(tables),
        **extra,
    }
    return report, description


#: What a job's description must keep from run to run (``tables`` may grow).
IDENTITY = ("command", "source", "target", "tenant", "segments")


async def begin_job(
    state: JobState, options: BulkOptions, description: Mapping[str, Any]
) -> dict[str, Any]:
    """Record the job the first time any worker runs it (its command, source, target,
    tenant, segments, tables and when its scan began), or check that this run is the same
    job: another source, target, tenant or number of segments under the same job name would
    misread its checkpoints, so it is refused. Tables named for the first time are added."""
    wanted = {**description, "segments": options.segments, "started_at": stamp_now()}
    try:
        await state.put("job", wanted, create=True)
        return wanted
    except Conflict:
        saved = await state.get("job") or {}
    for key in IDENTITY:
        if saved.get(key) != wanted.get(key):
            raise ValidationError(
                "segments" if key == "segments" else "job",
                f"job {options.job!r} was begun with {key} {saved.get(key)!r}, "
                f"not {wanted.get(key)!r}",
                hint="run it with what it began with, or choose another --job",
            )
    tables = sorted(set(saved.get("tables", [])) | set(wanted.get("tables", [])))
    if tables != sorted(saved.get("tables", [])):
        saved = {**saved, "tables": tables}
        await state.put("job", saved)
    return saved


async def refuse_unresumed(tables: Sequence[str], options: BulkOptions, state: JobState) -> None:
    """Without ``resume``, a job whose segments (this worker's) have checkpoints is refused:
    starting it again would recount what was done; resuming continues it."""
    if options.resume or options.dry_run:
        return
    mine = {f"segment/{name}/{n}" for name in tables for n in options.my_segments}
    async for item, _ in state.items("segment/"):
        if item in mine:
            raise ValidationError(
                "resume",
                f"job {options.job!r} has already begun ({item} has a checkpoint)",
                hint="pass --resume to continue it, or choose another --job",
            )


async def run_segments(
    tables: Sequence[TableJob[Any]],
    options: BulkOptions,
    state: JobState,
    report: Report,
    progress: Progress | None = None,
) -> None:
    """Run this worker's segments of every table, :data:`TABLES_AT_ONCE` tables at a time
    (all segments of a table at once); merge their counts into ``report``. Order does not
    matter: a child table's tenant comes from its parent in the source, never the target."""
    budget = WriteBudget(options.max_wcu / options.workers if options.max_wcu else None)
    tables_at_once = anyio.CapacityLimiter(TABLES_AT_ONCE)

    async def table_job(table: TableJob[Any]) -> None:
        merged = report.table(table.name, table.treatment, table.target)

        async def segment(number: int) -> None:
            found = await _segment(table, number, options, state, budget, progress, report)
            merged.merge(found)

        async with tables_at_once:
            await gather([partial(segment, number) for number in options.my_segments])

    await gather([partial(table_job, table) for table in tables])


async def gather(calls: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run ``calls`` at once; the first failure is raised as itself, never as a group."""
    try:
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(call)
    except BaseExceptionGroup as failures:
        raise first_error(failures) from None


async def all_done(state: JobState, table: str, segments: int) -> bool:
    """Whether every segment of ``table`` (of every worker) has finished."""
    done = 0
    async for _, saved in state.items(f"segment/{table}/"):
        done += bool(saved.get("done"))
    return done == segments
