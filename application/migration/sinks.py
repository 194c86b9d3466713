"""Where a job's prepared records go: the target store (newer wins), the legacy table itself
(an in-place backfill), or nowhere (a dry run, or a registry that is its own target)."""

from __future__ import annotations

from typing import Any

from aace.application.migration.bulk import Outcome, Prepared
from aace.domain.legacy_source import Backfill, LegacySource
from aace.domain.migration import LegacyTable
from aace.domain.ports import Condition, Repository

__all__ = ["BackfillSink", "CopySink", "DrySink", "SkipSink"]


class CopySink:
    """Puts each entity unless the target holds a newer version of it (``ConditionFailed``,
    which the job counts as skipped): a re-run, or a record changed in the target since."""

    def __init__(self, repository: Repository[Any]) -> None:
        self.repository = repository
        self.field = repository.schema.version_field

    async def write(self, prepared: Prepared) -> Outcome:
        entity = prepared.value
        condition = Condition.not_newer(self.field, getattr(entity, self.field))
        await self.repository.put(entity, condition=condition)
        return "written"


class BackfillSink:
    """Adds the tenant attributes to the legacy record in place (skipped when it has them)."""

    def __init__(self, legacy: LegacySource, table: LegacyTable) -> None:
        self.legacy = legacy
        self.table = table

    async def write(self, prepared: Prepared) -> Outcome:
        backfill: Backfill = prepared.value
        written = await self.legacy.backfill(self.table, backfill.record, backfill.tenant)
        return "written" if written else "skipped"


class DrySink:
    """Writes nothing; a dry run counts what it would write (a backfill in place would skip
    a record that already has its ``partition_key``)."""

    async def write(self, prepared: Prepared) -> Outcome:
        value = prepared.value
        if isinstance(value, Backfill) and value.record.get("partition_key") is not None:
            return "skipped"
        return "written"


class SkipSink:
    """Writes nothing: the record is already where it belongs."""

    async def write(self, prepared: Prepared) -> Outcome:
        return "skipped"
