"""The bulk path itself, on the memory store: checkpoints that stay small whatever the job,
and counts that stay exact across a crash between a page's tally and its checkpoint."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from aace.application.container import open_store
from aace.application.migration.bulk import BulkOptions, Prepared, TableJob, run_segments
from aace.application.migration.report import Report
from aace.application.migration.state import OPERATOR, JobState
from aace.application.settings import Settings
from aace.domain.errors import StorageUnavailable
from aace.domain.ports import Store
from aace.domain.records import item_size
from aace.domain.tenancy import as_operator

pytestmark = pytest.mark.anyio

TENANTS = 7000


class Written:
    async def write(self, prepared: Prepared) -> str:
        return "written"


def many_tenants(total: int) -> TableJob:
    """A table of ``total`` records, each of its own long-named tenant, in pages."""

    async def pager(
        segment: int, segments: int, position: str | None
    ) -> tuple[list[Any], str | None]:
        start = int(position or 0)
        end = min(start + 100, total)
        return list(range(start, end)), (None if end == total else str(end))

    async def prepare(numbers: Sequence[Any]) -> list[Prepared]:
        return [
            Prepared(f"aws-prod-us-east-1-{n:06d}#business-unit-{n:06d}", {"n": n}, n)
            for n in numbers
        ]

    return TableJob("agents", "copy", "agents", pager, prepare, Written())


class CrashingState(JobState):
    """Fails saving the ``crash_at``-th checkpoint (after its page's tally was saved)."""

    crash_at = 0

    async def put(self, item: str, state: Any, *, create: bool = False) -> None:
        if item.startswith("segment/"):
            self.crash_at -= 1
            if self.crash_at == 0:
                raise StorageUnavailable("crash between a page's tally and its checkpoint")
        await super().put(item, state, create=create)


async def _memory() -> Store:
    return await open_store(Settings(storage_url="memory://"))


async def test_a_job_over_many_tenants_keeps_every_state_record_small() -> None:
    store = await _memory()
    state = JobState(store, "big")
    report = Report("copy", "big", "a", "b")
    with as_operator(OPERATOR):
        await run_segments([many_tenants(TENANTS)], BulkOptions(page_size=100), state, report)
        sizes = [item_size({"state": saved}) async for _, saved in state.items("")]
    table = report.tables["agents"]
    assert (table.total.read, table.total.written, len(table.tenants)) == (TENANTS,) * 3
    assert len(sizes) == TENANTS // 100 + 1  # a tally per page, one checkpoint
    assert max(sizes) < 20_000


async def test_a_crash_between_a_tally_and_its_checkpoint_counts_the_page_once() -> None:
    store = await _memory()
    crashing = CrashingState(store, "crash")
    crashing.crash_at = 4
    with as_operator(OPERATOR):
        with pytest.raises(StorageUnavailable):
            await run_segments(
                [many_tenants(1000)], BulkOptions(), crashing, Report("c", "crash", "a", "b")
            )
        report = Report("copy", "crash", "a", "b")
        await run_segments(
            [many_tenants(1000)], BulkOptions(resume=True), JobState(store, "crash"), report
        )
        again = Report("copy", "crash", "a", "b")
        await run_segments(
            [many_tenants(1000)], BulkOptions(resume=True), JobState(store, "crash"), again
        )
    for result in (report, again):
        assert result.tables["agents"].total.read == 1000
        assert result.tables["agents"].total.written == 1000
