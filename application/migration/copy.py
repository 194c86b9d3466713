"""``aace copy`` and ``aace tenant delete``: whole stores or one tenant, through the bulk path.

``copy`` reads any store in the new layout (``Repository.scan``, segmented where the
adapter can) and writes any other, newer wins, with checkpoints in the target, the write
budget and the report of :mod:`.bulk`; every table goes, idempotency records, counters and
usage included (the platform registries too, unless one tenant is copied).
``tenant delete`` removes every record of one tenant from every table: an offboarding.
Its checkpoints live in the store it empties (the platform's state table, which no tenant
owns), so it resumes too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aace.application.migration.bulk import (
    BulkOptions,
    Prepared,
    Progress,
    Sink,
    TableJob,
    begin_job,
    new_job,
    refuse_unresumed,
    run_segments,
)
from aace.application.migration.endpoints import open_target, target_store
from aace.application.migration.report import Report
from aace.application.migration.sinks import CopySink, DrySink
from aace.application.migration.state import OPERATOR, JobState
from aace.application.settings import Settings
from aace.application.storage import redacted
from aace.domain.entities import ALL_SCHEMAS, MIGRATION_STATE
from aace.domain.errors import ValidationError
from aace.domain.ports import ANY, Repository, Store
from aace.domain.records import item_size, to_record
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, as_operator

__all__ = ["copy_store", "delete_tenant", "copied_schemas"]


def copied_schemas(tenant: PartitionKey | None) -> tuple[EntitySchema[Any], ...]:
    """What a copy moves: every table but the jobs' own state (and, for one tenant, the
    platform registries, which are no tenant's)."""
    return tuple(
        s for s in ALL_SCHEMAS if s is not MIGRATION_STATE and not (tenant and s.platform)
    )


def _prepared(schema: EntitySchema[Any], entity: Any) -> Prepared:
    record = to_record(schema, entity)
    tenant = None if schema.platform else record["partition_key"]
    key = {name: record[name] for name in (schema.hash_key, schema.range_key)}
    return Prepared(tenant, key, entity, size=item_size(record))


def _scan_job(
    schema: EntitySchema[Any],
    source: Repository[Any],
    sink: Sink,
    options: BulkOptions,
    tenant: PartitionKey | None,
    treatment: str,
) -> TableJob[Any]:
    async def pager(
        segment: int, segments: int, position: str | None
    ) -> tuple[Sequence[Any], str | None]:
        page = await source.scan(
            segment=segment,
            segments=segments,
            position=position,
            limit=options.page_size,
            tenant=tenant,
        )
        return page.items, page.position

    async def prepare(entities: Sequence[Any]) -> list[Prepared]:
        return [_prepared(schema, entity) for entity in entities]

    copies = 1 + len(schema.indexes)
    return TableJob(schema.name, treatment, schema.name, pager, prepare, sink, copies)


async def copy_store(
    source: Settings,
    target: Settings,
    options: BulkOptions,
    *,
    tenant: PartitionKey | None = None,
    progress: Progress | None = None,
    store: Store | None = None,
) -> Report:
    """Copy every table (or one tenant's records) from ``source`` to ``target`` (``store``:
    the target already open, which the caller closes)."""
    if source.storage_url == target.storage_url and source.table_names == target.table_names:
        raise ValidationError("to", "is the source itself")
    source_store = await open_target(source, create=False)
    try:
        async with target_store(target, store, create=not options.dry_run) as opened:
            return await _copy(source_store, opened, source, target, options, tenant, progress)
    finally:
        await source_store.close()


async def _copy(
    source_store: Store,
    store: Store,
    source: Settings,
    target: Settings,
    options: BulkOptions,
    tenant: PartitionKey | None,
    progress: Progress | None,
) -> Report:
    report, description = new_job(
        "copy",
        options,
        redacted(source.storage_url),
        redacted(target.storage_url),
        [schema.name for schema in copied_schemas(tenant)],
        None if tenant is None else str(tenant),
    )
    state = JobState(store, options.job, dry=options.dry_run)
    jobs = [
        _scan_job(
            schema,
            source_store.repository(schema),
            DrySink() if options.dry_run else CopySink(store.repository(schema)),
            options,
            tenant,
            "copy",
        )
        for schema in copied_schemas(tenant)
    ]
    with as_operator(OPERATOR):
        await begin_job(state, options, description)
        await refuse_unresumed([job.name for job in jobs], options, state)
        await run_segments(jobs, options, state, report, progress)
    return report


class _DeleteSink:
    def __init__(self, repository: Repository[Any], tenant: PartitionKey) -> None:
        self.repository = repository
        self.tenant = tenant

    async def write(self, prepared: Prepared) -> str:
        schema = self.repository.schema
        await self.repository.delete(self.tenant, schema.key_of(prepared.value), condition=ANY)
        return "written"


async def delete_tenant(
    storage: Settings,
    tenant: PartitionKey,
    options: BulkOptions,
    *,
    progress: Progress | None = None,
    store: Store | None = None,
) -> Report:
    """Delete every record of ``tenant`` from every tenant table (``written`` counts the
    deleted records); resumable, with a dry run that deletes nothing."""
    opened = store or await open_target(storage, create=False)
    where = redacted(storage.storage_url)
    schemas: Sequence[EntitySchema[Any]] = copied_schemas(tenant)
    report, description = new_job(
        "tenant delete", options, where, where, [s.name for s in schemas], str(tenant)
    )
    state = JobState(opened, options.job, dry=options.dry_run)
    try:
        jobs = [
            _scan_job(
                schema,
                opened.repository(schema),
                DrySink() if options.dry_run else _DeleteSink(opened.repository(schema), tenant),
                options,
                tenant,
                "delete",
            )
            for schema in schemas
        ]
        with as_operator(OPERATOR):
            await begin_job(state, options, description)
            await refuse_unresumed([job.name for job in jobs], options, state)
            await run_segments(jobs, options, state, report, progress)
    finally:
        if store is None:
            await opened.close()
    return report
