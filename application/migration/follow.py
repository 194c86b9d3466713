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

from aace.application.migration.bulk import RECORD_FAILURES, all_done
from aace.application.migration.counters import count_records, recount_tenants
from aace.application.migration.endpoints import open_legacy, open_target
from aace.application.migration.legacy import STREAM_VIEW, TablePlan, plan, prepare_page
from aace.application.migration.report import Report
from aace.application.migration.sinks import BackfillSink, CopySink
from aace.application.migration.state import OPERATOR, JobState
from aace.application.settings import Settings
from aace.domain.entities import AGENTS
from aace.domain.errors import ConditionFailed, ValidationError
from aace.domain.migration import (
    LegacyTable,
    Treatment,
    legacy_key,
    migrated,
    table_named,
    tenant_of,
)
from aace.domain.ports import Condition, Store
from aace.domain.tenancy import PartitionKey, writing_as_platform
from aace.domain.unit_of_work import NO_TENANT

__all__ = ["FollowOptions", "follow"]

#: Changes this much older than the job's scan are still replayed (clock skew).
SKEW = timedelta(minutes=5)


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
    legacy: Any
    store: Store
    state: JobState
    report: Report
    since: datetime
    #: Open shards' iterators, kept between passes (a stream may return empty reads
    #: before later records).
    iterators: dict[str, str] = attrs.field(factory=dict)
    #: Tenants of parents seen in events (a deleted run's messages find it here).
    parents: dict[tuple[str, tuple[str, ...]], str] = attrs.field(factory=dict)
    touched: set[PartitionKey] = attrs.field(factory=set)
    settled: int = 0

    async def drain(self, plans: Sequence[TablePlan]) -> int:
        """One pass over every shard of every table; the events applied."""
        applied = 0
        for p in plans:
            for shard in await self.legacy.shards(p.stream_arn):
                applied += await self._shard(p, shard["ShardId"])
        if self.touched:
            await recount_tenants(self.store, self.touched)
            self.touched.clear()
        return applied

    async def _shard(self, p: TablePlan, shard_id: str) -> int:
        item = f"shard/{p.table.name}/{shard_id}"
        saved = await self.state.get(item) or {}
        if saved.get("closed"):
            return 0
        iterator = self.iterators.pop(item, None) or await self.legacy.shard_iterator(
            p.stream_arn, shard_id, saved.get("after")
        )
        applied = 0
        while iterator:
            events, iterator = await self.legacy.events(p.table, iterator)
            if events:
                await self._apply(p, events)
                applied += len(events)
                saved = {"after": events[-1].sequence, "closed": iterator is None}
                await self.state.put(item, saved)
            elif iterator is None:
                await self.state.put(item, {**saved, "closed": True})
            if not events:
                break
        if iterator:
            self.iterators[item] = iterator
        return applied

    async def _apply(self, p: TablePlan, events: list[Any]) -> None:
        table = p.table
        report = self.report.table(table.name, "follow", p.target)
        images = [e.new or e.old for e in events if (e.new or e.old) is not None]
        prepared = {
            id(image): ready
            for image, ready in zip(
                images,
                await prepare_page(self.legacy, table, images, in_place=p.in_place),
                strict=True,
            )
        }
        for event in events:
            image = event.new or event.old
            if image is None or (event.at is not None and event.at < self.since):
                continue
            ready = prepared[id(image)]
            tenant = ready.tenant or self._known_parent(table, image)
            self._remember(table, image, tenant)
            report.count(tenant, "read")
            try:
                if event.new is not None:
                    outcome = await self._put(p, ready, image, tenant)
                else:
                    outcome = await self._delete(p, image, tenant)
            except ConditionFailed:
                outcome = "skipped"
            except RECORD_FAILURES as exc:
                report.fail(tenant, legacy_key(table, image), str(exc))
                continue
            report.count(tenant, outcome)
            if table.schema is AGENTS and tenant:
                self.touched.add(PartitionKey.parse(tenant))

    async def _put(
        self, p: TablePlan, ready: Any, image: dict[str, Any], tenant: str | None
    ) -> str:
        if ready.error is not None:
            if tenant is None:  # nor did an earlier event name the parent's tenant
                raise ValidationError("record", ready.error)
            endpoint = PartitionKey.parse(tenant).endpoint_id
            value = (
                (image, PartitionKey.parse(tenant))
                if p.in_place
                else migrated(p.table, image, endpoint)
            )
            ready = attrs.evolve(ready, value=value, error=None, tenant=tenant)
        if p.in_place:
            if p.table.treatment is Treatment.REGISTRY:
                return "skipped"
            return await BackfillSink(self.legacy, p.table).write(ready)
        return await CopySink(self.store.repository(p.table.schema)).write(ready)

    async def _delete(self, p: TablePlan, image: dict[str, Any], tenant: str | None) -> str:
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

    def _known_parent(self, table: LegacyTable, image: dict[str, Any]) -> str | None:
        link = table.parent
        key = link.key_of(image) if link else None
        if link is None or key is None:
            return None
        endpoint = self.parents.get((link.parent.name, key))
        return None if endpoint is None else str(tenant_of(table, {"endpoint_id": endpoint}))

    def _remember(self, table: LegacyTable, image: dict[str, Any], tenant: str | None) -> None:
        if tenant is not None and table.treatment is not Treatment.REGISTRY:
            key = tuple(str(image.get(f)) for f in table.schema.key_fields)
            self.parents[(table.name, key)] = PartitionKey.parse(tenant).endpoint_id

    async def settle_tombstones(self) -> int:
        """Once the bulk copy is done: every tombstone applied again, then dropped."""
        settled = 0
        async for item, saved in self.state.items("tombstone/"):
            name = item.split("/")[1]
            schema = table_named(name).schema
            stamp = datetime.fromisoformat(saved["stamp"])
            with contextlib.suppress(ConditionFailed):  # a newer target record stays
                await self.store.repository(schema).delete(
                    PartitionKey.parse(saved["tenant"]),
                    tuple(saved["key"]),
                    condition=Condition.not_newer(schema.version_field, stamp),
                )
            await self.state.delete(item)
            settled += 1
        self.settled += settled
        return settled


async def _converged(
    legacy: Any, store: Store, state: JobState, plans: Sequence[TablePlan]
) -> tuple[bool, list[str]]:
    """Whether every table's target holds as many records as its source (less those the
    bulk copy refused), or, in place, no record lacks ``partition_key``; a note per table."""
    agree, notes = True, []
    for p in plans:
        if p.in_place:
            left = await legacy.count(p.table, missing="partition_key")
            ok = left == 0 or p.table.treatment is Treatment.REGISTRY
            detail = f"{left} records without partition_key"
        else:
            refused = 0
            async for _, saved in state.items(f"segment/{p.table.name}/"):
                refused += sum(v[3] for v in saved.get("tenants", {}).values())
            source = await legacy.count(p.table)
            target = await count_records(store, p.table.schema)
            ok = source - refused == target
            detail = f"source {source}, refused {refused}, target {target}"
        notes.append(f"{p.table.name}: {'converged' if ok else 'not converged'} ({detail})")
        agree = agree and ok
    return agree, notes


async def follow(
    source: Settings,
    target: Settings,
    options: FollowOptions,
    names: Sequence[str] = (),
    *,
    store: Store | None = None,
) -> Report:
    """Replay the streams of the job's tables onto the target; see the module's text."""
    plans = await plan(source, target, names, count_tenants=False)
    plans = [p for p in plans if p.records is not None]
    no_stream = [p.table.name for p in plans if p.stream != STREAM_VIEW]
    if no_stream:
        raise ValidationError(
            "from",
            f"these tables have no {STREAM_VIEW} stream: {', '.join(no_stream)}",
            hint="enable it (aws dynamodb update-table --stream-specification …), then run again",
        )
    legacy = open_legacy(source)
    target_store = store or await open_target(target, create=False)
    state = JobState(target_store, options.job)
    report = Report("follow", options.job, source.storage_url, target.storage_url)
    try:
        job = await state.get("job")
        if job is None:
            raise ValidationError(
                "job", f"no run of job {options.job!r} in the target: run it first"
            )
        since = datetime.fromisoformat(job["started_at"]) - SKEW
        follower = _Follower(legacy, target_store, state, report, since)
        deadline = None if options.timeout is None else anyio.current_time() + options.timeout
        with writing_as_platform(OPERATOR):
            notes: list[str] = []
            while True:
                applied = await follower.drain(plans)
                copied = all([await all_done(state, t, job["segments"]) for t in job["tables"]])
                if copied:
                    await follower.settle_tombstones()
                if options.once:
                    break
                if options.until_converged and applied == 0 and copied:
                    report.converged, notes = await _converged(legacy, target_store, state, plans)
                    if report.converged:
                        break
                if deadline is not None and anyio.current_time() > deadline:
                    notes.append("stopped at the timeout")
                    report.converged = False
                    break
                await anyio.sleep(options.poll)
        if follower.settled:
            report.notes.append(
                f"deletes applied again once the copy was done: {follower.settled}"
            )
        report.notes.extend(notes)
    finally:
        await legacy.close()
        if store is None:
            await target_store.close()
    return report
