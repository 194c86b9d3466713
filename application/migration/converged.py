"""Whether ``follow`` has converged: every table's target holds what its source holds, less
the records the bulk copy refused."""

from __future__ import annotations

from collections.abc import Sequence

from aace.application.migration.counters import count_records
from aace.application.migration.legacy import TablePlan
from aace.application.migration.report import TableReport
from aace.application.migration.state import JobState
from aace.domain.legacy_source import LegacySource
from aace.domain.migration import Treatment
from aace.domain.ports import Store

__all__ = ["converged"]


async def _refused(state: JobState, table: str) -> int:
    """How many of ``table``'s records the bulk copy refused (its tallies' failures)."""
    refused = 0
    async for _, tally in state.items(f"tally/{table}/"):
        refused += TableReport.restored(table, "", "", tally).total.failed
    return refused


async def converged(
    legacy: LegacySource, store: Store, state: JobState, plans: Sequence[TablePlan]
) -> tuple[bool, list[str]]:
    """Whether every table's target holds as many records as its source less those the
    bulk copy refused (in place: no record but those lacks ``partition_key``); a note per
    table."""
    agree, notes = True, []
    for p in plans:
        refused = await _refused(state, p.table.name)
        if p.in_place:
            left = await legacy.count(p.table, missing="partition_key")
            ok = left <= refused or p.table.treatment is Treatment.REGISTRY
            detail = f"{left} records without partition_key, refused {refused}"
        else:
            source = await legacy.count(p.table)
            target = await count_records(store, p.table.schema)
            ok = source - refused == target
            detail = f"source {source}, refused {refused}, target {target}"
        notes.append(f"{p.table.name}: {'converged' if ok else 'not converged'} ({detail})")
        agree = agree and ok
    return agree, notes
