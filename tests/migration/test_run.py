"""``migrate run``: legacy tables into the new layout, copied or backfilled in place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.migration.legacy import run
from aace.application.settings import Settings
from aace.domain.errors import ValidationError
from tests.migration.conftest import Legacy, in_place_target, options
from tests.migration.legacy import orphan_message
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio


async def test_a_clean_run_copies_every_table_into_the_new_layout(
    legacy: Legacy, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    report = await run(legacy.settings, target, options())
    assert report.ok, report.to_json()
    assert report.total.read == legacy.data.count
    assert report.total.written == legacy.data.count
    assert await contents(target) == expected_contents(legacy.data)
    for endpoint in legacy.endpoints:
        tally = report.tables["agents"].tenants[f"{endpoint}#{endpoint}"]
        assert (tally.read, tally.written, tally.failed) == (3, 3, 0)


async def test_in_place_child_tables_are_backfilled_and_a_second_run_changes_nothing(
    legacy: Legacy, client: Any
) -> None:
    target = in_place_target(legacy)
    first = await run(legacy.settings, target, options())
    assert first.ok, first.to_json()
    assert first.tables["runs"].treatment == "backfill in place"
    assert first.tables["messages"].treatment == "backfill in place (tenant from runs)"
    assert first.tables["llms"].total.skipped == first.tables["llms"].total.read == 3
    migrated = await contents(target)
    assert migrated == expected_contents(legacy.data)
    stored = client.scan(TableName=f"{legacy.prefix}aace-messages")["Items"]
    assert all(item["partition_key"]["S"].count("#") == 1 for item in stored)

    again = await run(legacy.settings, target, options(job="again"))
    assert again.ok
    for name in ("runs", "messages", "session_agents", "fine_tuning_messages"):
        table = again.tables[name].total
        assert (table.written, table.skipped) == (0, table.read), name
    assert await contents(target) == migrated


async def test_a_message_whose_run_is_gone_is_reported_not_guessed(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    orphan = orphan_message(client, legacy.prefix)
    target = copy_target()
    report = await run(legacy.settings, target, options())
    messages = report.tables["messages"]
    assert messages.total.failed == 1
    assert not report.ok
    (failure,) = messages.failures
    assert failure["key"] == {
        "thread_uuid": orphan["thread_uuid"],
        "message_uuid": orphan["message_uuid"],
    }
    assert (
        "endpoint_id: has no endpoint_id and its parent in runs was not found" in failure["reason"]
    )
    assert await contents(target) == expected_contents(legacy.data)


async def test_a_dry_run_writes_nothing_not_even_tables_or_checkpoints(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    prefix = target.storage_url.split("table_prefix=")[1]
    before = {
        name: client.scan(TableName=name)["Items"]
        for name in _legacy_tables(client, legacy.prefix)
    }
    report = await run(legacy.settings, target, options(dry_run=True))
    assert report.dry_run
    assert report.ok
    assert (report.total.read, report.total.written) == (legacy.data.count, legacy.data.count)
    assert _legacy_tables(client, prefix) == []
    in_place = await run(legacy.settings, in_place_target(legacy), options(dry_run=True))
    assert in_place.total.written == legacy.data.count - 9  # registries: already in place
    after = {
        name: client.scan(TableName=name)["Items"]
        for name in _legacy_tables(client, legacy.prefix)
    }
    assert after == before


async def test_a_re_keyed_table_as_its_own_target_is_refused_before_any_write(
    legacy: Legacy, client: Any
) -> None:
    before = client.scan(TableName=f"{legacy.prefix}aace-runs")["Items"]
    with pytest.raises(ValidationError) as refused:
        await run(legacy.settings, legacy.settings, options())
    assert refused.value.field == "to"
    assert "agents: " in str(refused.value)
    assert "a re-keyed table needs a new one" in str(refused.value)
    assert client.scan(TableName=f"{legacy.prefix}aace-runs")["Items"] == before
    assert not [n for n in _legacy_tables(client, legacy.prefix) if "idempotency" in n]


async def test_running_a_begun_job_again_needs_resume(
    legacy: Legacy, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    await run(legacy.settings, target, options(), ["agents"])
    with pytest.raises(ValidationError) as refused:
        await run(legacy.settings, target, options(), ["agents"])
    assert refused.value.field == "resume"
    resumed = await run(legacy.settings, target, options(resume=True), ["agents"])
    assert resumed.tables["agents"].total.written == 9  # the whole job's counts, kept
    with pytest.raises(ValidationError) as other:
        await run(legacy.settings, target, options(resume=True, segments=3), ["agents"])
    assert other.value.field == "segments"


def _legacy_tables(client: Any, prefix: str) -> list[str]:
    names = client.list_tables(Limit=100)["TableNames"]
    return sorted(n for n in names if n.startswith(prefix))
