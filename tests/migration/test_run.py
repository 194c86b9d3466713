"""``migrate run`` from DynamoDB Local: the DynamoDB source's scans, decoding, parents' batch
reads, conditional backfills and table addresses. The rules, into every adapter, are tested
from the memory source: ``test_rules.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.migration.legacy import run
from aace.application.settings import Settings
from aace.domain.entities import MESSAGES, RUNS
from aace.domain.errors import ValidationError
from aace.domain.migration import table_named
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.migration.conftest import Legacy, in_place_target, options
from tests.migration.legacy import orphan_message, to_wire
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
    orphan = orphan_message(legacy.data.tables)
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


def _legacy_tables(client: Any, prefix: str) -> list[str]:
    names = client.list_tables(Limit=100)["TableNames"]
    return sorted(n for n in names if n.startswith(prefix))


async def test_children_take_their_parents_whole_tenant(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    """A run the new code wrote (tenant ``ep#acme``) passes ``ep#acme`` on, not ``ep#ep``."""
    endpoint = legacy.endpoints[0]
    tenant = PartitionKey(endpoint, "acme")
    parent = sample(RUNS, tenant)
    client.put_item(TableName=f"{legacy.prefix}aace-runs", Item=to_wire(to_record(RUNS, parent)))
    link = {"thread_uuid": parent.thread_uuid, "run_uuid": parent.run_uuid}
    legacy.data.put(table_named("messages"), sample(MESSAGES, tenant, **link))
    legacy.data.expected["runs"].append(parent)
    target = copy_target()
    report = await run(legacy.settings, target, options(), ["runs", "messages"])
    assert report.ok, report.to_json()
    assert report.tables["messages"].tenants[str(tenant)].written == 1
    assert await contents(target) == expected_contents(legacy.data, only=("runs", "messages"))


async def test_a_record_that_cannot_be_decoded_is_reported_and_the_run_goes_on(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    agent = legacy.data.expected["agents"][0]
    client.update_item(
        TableName=f"{legacy.prefix}aace-agents",
        Key={
            "endpoint_id": {"S": agent.partition_key.endpoint_id},
            "agent_version_uuid": {"S": agent.agent_version_uuid},
        },
        UpdateExpression="SET updated_at = :odd",
        ExpressionAttributeValues={":odd": {"S": "2025-06-01T00:00:00Z"}},
    )
    target = copy_target()
    report = await run(legacy.settings, target, options(), ["agents"])
    (failure,) = report.tables["agents"].failures
    assert failure["key"] == {
        "endpoint_id": agent.partition_key.endpoint_id,
        "agent_version_uuid": agent.agent_version_uuid,
    }
    assert failure["reason"].startswith("cannot be decoded: ")
    assert report.tables["agents"].total.written == 8


async def test_a_partly_backfilled_record_is_completed_and_a_disagreeing_one_refused(
    legacy: Legacy, client: Any
) -> None:
    runs = f"{legacy.prefix}aace-runs"
    partial, wrong = legacy.data.expected["runs"][:2]
    client.update_item(
        TableName=runs,
        Key={"thread_uuid": {"S": partial.thread_uuid}, "run_uuid": {"S": partial.run_uuid}},
        UpdateExpression="SET partition_key = :pk",
        ExpressionAttributeValues={":pk": {"S": str(partial.partition_key)}},
    )
    client.update_item(
        TableName=runs,
        Key={"thread_uuid": {"S": wrong.thread_uuid}, "run_uuid": {"S": wrong.run_uuid}},
        UpdateExpression="SET partition_key = :pk",
        ExpressionAttributeValues={":pk": {"S": "someone#else"}},
    )
    report = await run(legacy.settings, in_place_target(legacy), options(), ["runs"])
    (failure,) = report.tables["runs"].failures
    assert failure["reason"].startswith("endpoint_id: ")
    assert "disagrees with partition_key 'someone#else'" in failure["reason"]
    item = client.get_item(
        TableName=runs,
        Key={"thread_uuid": {"S": partial.thread_uuid}, "run_uuid": {"S": partial.run_uuid}},
    )["Item"]
    assert item["part_id"] == {"S": partial.partition_key.part_id}
    assert report.tables["runs"].total.written == 8
