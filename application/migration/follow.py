"""``aace migrate follow``: replay the legacy tables' streams onto the target.

Writes the old code makes during and after the bulk copy arrive through the same transform.
A put never replaces a newer target record (newer wins on the table's version field). A
delete removes the target record only if it is no newer than the deleted version (the old
image's), and is kept as a tombstone until the bulk copy has finished, then applied again:
so a record the copy read before its deletion and wrote after it is gone once ``follow`` has
caught up. Each shard's position is saved after every batch it applies (in the target's
state table), so ``follow`` resumes where it stopped; it starts at each shard's oldest record
(the stream keeps 24 hours) and skips changes older than the job's scan, which the scan saw.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import anyio
import attrs

from aace.application.migration.bulk import RECORD_FAILURES, Outcome, Prepared, all_done
from aace.application.migration.converged import converged
from aace.application.migration.counters import recount_tenants
from aace.application.migration.endpoints import legacy_source, target_store
from aace.application.migration.legacy import (
    STREAM_VIEW,
    Source,
    TablePlan,
    plan_tables,
    prepare_page,
)
from aace.application.migration.report import Report
from aace.application.migration.sinks import BackfillSink, CopySink
from aace.application.migration.state import OPERATOR, JobState
from aace.application.settings import Settings
from aace.application.storage import redacted
from aace.domain.entities import AGENTS
from aace.domain.errors import ConditionFailed, ValidationError
from aace.domain.fields import utc_now
from aace.domain.legacy_source import (
    Backfill,
    IteratorExpired,
    LegacyRecord,
    LegacySource,
    Shard,
    SourceRecord,
    StreamEvent,
    StreamTrimmed,
)
from aace.domain.migration import (
    LEGACY_TABLES,
    LegacyTable,
    Treatment,
    Unreadable,
    migrated,
    table_named,
)
from aace.domain.ports import Condition, Store
from aace.domain.tenancy import PartitionKey, as_operator
from aace.domain.unit_of_work import NO_TENANT

__all__ = ["FollowOptions", "follow"]

#: Changes this much older than the job's scan are still replayed (clock skew).
SKEW = timedelta(minutes=5)
#: How long a stream keeps its changes: a job older than this cannot be followed.
RETENTION = timedelta(hours=24)
#: Empty reads after which a pass leaves an open shard (it resumes there next pass).
EMPTY_READS = 3
#: Seconds a stream's shard list is reused (DescribeStream allows 10 calls a second).
SHARDS_TTL = 60.0
#: Seconds between two recounts of the agent counters of tenants whose agents changed
#: (each reads those tenants' agents); follow recounts once more when it stops.
RECOUNT_EVERY = 10.0
#: Seconds between two convergence checks (each counts every table).
CHECK_EVERY = 30.0
#: The tables whose tenants children take, and how many of them follow remembers.
PARENTS = frozenset(link.parent.name for t in LEGACY_TABLES if (link := t.parent))
MAX_PARENTS = 100_000


@attrs.frozen
class FollowOptions:
    """``once``: one pass over every shard, then stop; ``until_converged``: stop when the
    streams are drained, the bulk copy is done and the counts agree (or after ``timeout``
    seconds, unconverged); neither: follow until interrupted, polling every ``poll``."""

    job: str = "migrate"
    once: bool = False
    until_converged: bool = False
    timeout: float | None = None
    poll: float = 1.0


@attrs.define
class _Follower:
    legacy: LegacySource
    store: Store
    state: JobState
    report: Report
    since: datetime
    #: Open shards' iterators, kept between passes: a stream may answer empty reads
    #: before its later records, so a pass leaves an open shard after a few of them.
    iterators: dict[str, str] = attrs.field(factory=dict)
    #: Each stream's shards, listed again at most every :data:`SHARDS_TTL` seconds.
    shards: dict[str, tuple[float, list[Shard]]] = attrs.field(factory=dict)
    #: Tenants of runs and sessions seen in events: a run deleted with its messages lets
    #: the messages' deletes find their tenant here.
    parents: dict[tuple[str, tuple[str, ...]], str] = attrs.field(factory=dict)
    touched: set[PartitionKey] = attrs.field(factory=set)
    recounted: float = 0.0
    settled: int = 0

    async def drain(self, plans: Sequence[TablePlan]) -> int:
        """One pass over every shard of every table; the events applied. A child shard
        is read only once its parent is closed and read to its end, so one key's changes
        are applied in their order."""
        applied = 0
        for p in plans:
            closed: set[str] = set()
            stream = str(p.stream_id)
            for shard in await self._shards(stream):
                parent = shard.parent_id
                if parent in self._known(stream) and parent not in closed:
                    continue
                number, done = await self._shard(p, stream, shard.shard_id)
                applied += number
                if done:
                    closed.add(shard.shard_id)
        if anyio.current_time() - self.recounted >= RECOUNT_EVERY:
            await self.recount()
        return applied

    async def recount(self) -> None:
        """Set the agent counters of the tenants whose agents changed since the last time."""
        if self.touched:
            await recount_tenants(self.store, self.touched)
            self.touched.clear()
        self.recounted = anyio.current_time()

    def _known(self, stream: str) -> set[str]:
        return {shard.shard_id for shard in self.shards.get(stream, (0.0, []))[1]}

    async def _shards(self, stream: str) -> list[Shard]:
        listed, shards = self.shards.get(stream, (-SHARDS_TTL, []))
        if anyio.current_time() - listed >= SHARDS_TTL:
            shards = await self.legacy.shards(stream)
            self.shards[stream] = (anyio.current_time(), shards)
        return shards

    async def _shard(self, p: TablePlan, stream: str, shard_id: str) -> tuple[int, bool]:
        """Read one shard as far as it goes now: (events applied, closed and read)."""
        item = f"shard/{p.table.name}/{shard_id}"
        saved = await self.state.get(item) or {}
        if saved.get("closed"):
            return 0, True
        iterator = self.iterators.pop(item, None) or await self.legacy.shard_iterator(
            stream, shard_id, saved.get("after")
        )
        applied, empty, renewed = 0, 0, False
        while iterator and empty < EMPTY_READS:
            try:
                batch = await self.legacy.read_shard(p.table, iterator)
            except (IteratorExpired, StreamTrimmed):
                if renewed:  # from the saved position too: the changes are gone
                    raise
                renewed = True  # an iterator kept too long: another from the save
                iterator = await self.legacy.shard_iterator(stream, shard_id, saved.get("after"))
                continue
            events, iterator = batch.events, batch.next_iterator
            renewed = False
            empty = 0 if events else empty + 1
            if events:
                await self._apply(p, events)
                applied += len(events)
                saved = {"after": events[-1].sequence, "closed": False}
            if iterator is None:
                saved = {**saved, "closed": True}
            if events or iterator is None:
                await self.state.put(item, saved)
        if iterator:
            self.iterators[item] = iterator
        return applied, iterator is None

    async def _apply(self, p: TablePlan, events: Sequence[StreamEvent]) -> None:
        table = p.table
        report = self.report.table(table.name, "follow", p.target)
        fresh = [e for e in events if e.at is None or e.at >= self.since]
        images = [_image(e) for e in fresh]
        ready_all = await prepare_page(self.legacy, table, images, in_place=p.in_place)
        for event, image, ready in zip(fresh, images, ready_all, strict=True):
            tenant = ready.tenant or self._known_parent(table, image)
            self._remember(table, image, tenant)
            report.count(tenant, "read")
            try:
                if isinstance(image, Unreadable):
                    raise ValidationError("record", image.reason)
                if event.new is not None:
                    outcome = await self._put(p, ready, image, tenant)
                else:
                    outcome = await self._delete(p, image, tenant)
            except ConditionFailed:
                outcome = "skipped"
            except RECORD_FAILURES as exc:
                report.fail(tenant, ready.key, str(exc))
                continue
            report.count(tenant, outcome)
            if table.schema is AGENTS and tenant:
                self.touched.add(PartitionKey.parse(tenant))

    async def _put(
        self, p: TablePlan, ready: Prepared, image: LegacyRecord, tenant: str | None
    ) -> Outcome:
        if ready.error is not None:
            if tenant is None:  # nor did an earlier event name the parent's tenant
                raise ValidationError("record", ready.error)
            parent = PartitionKey.parse(tenant)
            value = Backfill(image, parent) if p.in_place else migrated(p.table, image, parent)
            ready = attrs.evolve(ready, value=value, error=None, tenant=tenant)
        if p.in_place:
            if p.table.treatment is Treatment.REGISTRY:
                return "skipped"
            return await BackfillSink(self.legacy, p.table).write(ready)
        return await CopySink(self.store.repository(p.table.schema)).write(ready)

    async def _delete(self, p: TablePlan, image: LegacyRecord, tenant: str | None) -> Outcome:
        table = p.table
        if p.in_place:
            return "skipped"  # gone from the very table the target reads
        schema = table.schema
        owner = NO_TENANT if table.treatment is Treatment.REGISTRY else None
        if owner is None:
            if tenant is None:
                raise ValidationError("endpoint_id", "the deleted record's tenant is unknown")
            owner = PartitionKey.parse(tenant)
        stamp = image.get(schema.version_field)
        if not isinstance(stamp, datetime):
            raise ValidationError(schema.version_field, "the deleted record is not dated")
        key = tuple(str(image[f]) for f in schema.key_fields)
        condition = Condition.not_newer(schema.version_field, stamp)
        await self.store.repository(schema).delete(owner, key, condition=condition)
        tombstone = {"tenant": str(owner), "stamp": stamp.isoformat(), "key": list(key)}
        await self.state.put(f"tombstone/{table.name}/{'/'.join(key)}", tombstone)
        return "written"

    def _known_parent(self, table: LegacyTable, image: SourceRecord) -> str | None:
        link = table.parent
        key = link.key_of(image) if link and not isinstance(image, Unreadable) else None
        if link is None or key is None:
            return None
        return self.parents.get((link.parent.name, key))

    def _remember(self, table: LegacyTable, image: SourceRecord, tenant: str | None) -> None:
        if tenant is not None and table.name in PARENTS and not isinstance(image, Unreadable):
            key = tuple(str(image.get(f)) for f in table.schema.key_fields)
            self.parents[(table.name, key)] = tenant
            if len(self.parents) > MAX_PARENTS:
                self.parents.pop(next(iter(self.parents)))

    async def replay_bulk_copies(self, segments: int) -> None:
        """A table copied in bulk (unconditional writes behind the job's write fence) may
        have overwritten a change applied here meanwhile with the older record the copy
        had read: once its copy is done, its stream is read again from its oldest record
        (newer wins), once. The shards' positions are reset before the fence is marked, so
        a follow stopped in between replays again rather than not at all."""
        async for item, saved in self.state.items("fence/"):
            table = item.split("/", 1)[1]
            if not saved.get("bulk") or saved.get("replayed"):
                continue
            if not await all_done(self.state, table, segments):
                continue
            shards = [name async for name, _ in self.state.items(f"shard/{table}/")]
            for name in shards:
                await self.state.put(name, {"after": None, "closed": False})
                self.iterators.pop(name, None)
            await self.state.put(item, {**saved, "replayed": True})

    async def settle_tombstones(self) -> int:
        """Once the bulk copy is done: every tombstone applied again, then dropped."""
        settled = 0
        async for item, saved in self.state.items("tombstone/"):
            try:
                schema = table_named(item.split("/")[1], "state").schema
                stamp = datetime.fromisoformat(saved["stamp"])
                tenant = PartitionKey.parse(saved["tenant"])
                key = tuple(str(part) for part in saved["key"])
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise ValidationError(
                    "state", f"{item} is not a tombstone this tool wrote"
                ) from exc
            with contextlib.suppress(ConditionFailed):  # a newer target record stays
                await self.store.repository(schema).delete(
                    tenant, key, condition=Condition.not_newer(schema.version_field, stamp)
                )
            if schema is AGENTS:
                self.touched.add(tenant)
            await self.state.delete(item)
            settled += 1
        self.settled += settled
        if settled:  # an agent the copy wrote after its deletion may be gone now
            await self.recount()
        return settled


def _job_of(job: dict[str, Any] | None, name: str) -> tuple[datetime, int, list[str]]:
    """(when its scan began, segments, tables) of the job ``follow`` follows."""
    if job is None:
        raise ValidationError("job", f"no run of job {name!r} in the target: run it first")
    if job.get("stream") is False:
        raise ValidationError(
            "job", f"job {name!r} was run without streams (--without-stream): nothing to follow"
        )
    try:
        started = datetime.fromisoformat(job["started_at"])
        segments, tables = int(job["segments"]), [str(t) for t in job["tables"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("state", f"job {name!r} is not a job this tool wrote") from exc
    if utc_now() - started > RETENTION - SKEW:
        raise ValidationError(
            "job",
            f"job {name!r} began its scan at {started.isoformat()}: its streams no longer "
            "hold every change since (they keep 24 hours)",
            hint="start over: a new run (another --job), then follow within 24 hours",
        )
    return started, segments, tables


def _image(event: StreamEvent) -> SourceRecord:
    """The record a change is about: its new image, or the old one of a delete."""
    image = event.new or event.old
    if image is None:  # a stream without old images: a delete names no record
        return Unreadable({}, "the change carries no image (the stream needs new and old)")
    return image


async def follow(
    source: Source,
    target: Settings,
    options: FollowOptions,
    names: Sequence[str] = (),
    *,
    store: Store | None = None,
) -> Report:
    """Replay the streams of the job's tables onto the target; see the module's text."""
    async with legacy_source(source) as legacy:
        plans = await plan_tables(legacy, target, names, count_tenants=False)
        plans = [p for p in plans if p.records is not None]
        no_stream = [p.table.name for p in plans if p.stream != STREAM_VIEW]
        if no_stream:
            raise ValidationError(
                "from",
                f"these tables have no {STREAM_VIEW} stream: {', '.join(no_stream)}",
                hint="enable it (aws dynamodb update-table --stream-specification …), "
                "then run again",
            )
        report = Report("follow", options.job, legacy.name, redacted(target.storage_url))
        async with target_store(target, store, create=False) as opened:
            await _follow(legacy, opened, report, options, plans)
    return report


async def _follow(
    legacy: LegacySource,
    store: Store,
    report: Report,
    options: FollowOptions,
    plans: Sequence[TablePlan],
) -> None:
    state = JobState(store, options.job)
    started, segments, tables = _job_of(await state.get("job"), options.job)
    follower = _Follower(legacy, store, state, report, started - SKEW)
    deadline = None if options.timeout is None else anyio.current_time() + options.timeout
    checked = -CHECK_EVERY
    with as_operator(OPERATOR):
        notes: list[str] = []
        while True:
            await follower.replay_bulk_copies(segments)
            applied = await follower.drain(plans)
            copied = all([await all_done(state, t, segments) for t in tables])
            if copied:
                await follower.settle_tombstones()
            if options.once:
                break
            due = anyio.current_time() - checked >= CHECK_EVERY
            if options.until_converged and applied == 0 and copied and due:
                checked = anyio.current_time()
                report.converged, notes = await converged(legacy, store, state, plans)
                if report.converged:
                    break
            if deadline is not None and anyio.current_time() > deadline:
                notes.append("stopped at the timeout")
                report.converged = False
                break
            await anyio.sleep(options.poll)
        await follower.recount()
    if follower.settled:
        report.notes.append(f"deletes applied again once the copy was done: {follower.settled}")
    report.notes.extend(notes)
