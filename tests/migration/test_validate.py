"""``migrate validate``: counts per table and tenant, tenant attrs, records compared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.migration.legacy import run
from aace.application.migration.validate import validate
from aace.application.settings import Settings
from aace.domain.entities import RUNS, THREADS
from aace.domain.migration import table_named
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.migration.conftest import Legacy, in_place_target, options

pytestmark = pytest.mark.anyio


def _prefix(settings: Settings) -> str:
    return settings.storage_url.split("table_prefix=")[1]


async def test_a_clean_run_validates_in_full(
    legacy: Legacy, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    await run(legacy.settings, target, options())
    result = await validate(legacy.settings, target, full=True)
    assert result.ok, result.as_dict()
    agents = result.as_dict()["tables"]["agents"]
    assert agents["compared"] == agents["source"] == agents["target"] == 9
    assert set(agents["tenants"]) == {f"{e}#{e}" for e in legacy.endpoints}
    sampled = await validate(legacy.settings, target, ["agents"], sample=4)
    assert sampled.tables["agents"].compared == 4


async def test_corrupted_and_missing_target_records_are_named(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    await run(legacy.settings, target, options(), ["agents", "threads"])
    prefix = _prefix(target)
    first, second, third = legacy.data.expected["agents"][:3]
    client.update_item(
        TableName=f"{prefix}aace-agents",
        Key={
            "partition_key": {"S": str(first.partition_key)},
            "agent_version_uuid": {"S": first.agent_version_uuid},
        },
        UpdateExpression="SET agent_name = :n",
        ExpressionAttributeValues={":n": {"S": "tampered"}},
    )
    client.update_item(
        TableName=f"{prefix}aace-agents",
        Key={
            "partition_key": {"S": str(second.partition_key)},
            "agent_version_uuid": {"S": second.agent_version_uuid},
        },
        UpdateExpression="SET part_id = :p",
        ExpressionAttributeValues={":p": {"S": "someone-else"}},
    )
    client.delete_item(
        TableName=f"{prefix}aace-agents",
        Key={
            "partition_key": {"S": str(third.partition_key)},
            "agent_version_uuid": {"S": third.agent_version_uuid},
        },
    )
    result = await validate(legacy.settings, target, ["agents", "threads"], full=True)
    assert not result.ok
    assert result.tables["threads"].ok
    problems = {str(p["key"]): p["reason"] for p in result.tables["agents"].problems}
    assert problems[str([first.agent_version_uuid])] == "differs in agent_name"
    assert problems[str([second.agent_version_uuid])].startswith(
        "unreadable in the target: part_id"
    )
    assert problems[str([third.agent_version_uuid])] == "missing in the target"
    tenant = str(third.partition_key)
    assert problems[str({"tenant": tenant})].startswith("source has 3, target ")


async def test_a_backfilled_table_with_a_record_left_without_its_tenant_fails(
    legacy: Legacy, client: Any
) -> None:
    target = in_place_target(legacy)
    await run(legacy.settings, target, options(), ["threads", "runs"])
    assert (await validate(legacy.settings, target, ["threads", "runs"], full=True)).ok
    tenant = PartitionKey(legacy.endpoints[0], legacy.endpoints[0])
    late = sample(RUNS, tenant)
    legacy.data.put(client, table_named("runs"), late)  # the old code, after the run
    result = await validate(legacy.settings, target, ["runs"])
    (problem,) = result.tables["runs"].problems
    assert problem == {
        "key": {"thread_uuid": late.thread_uuid, "run_uuid": late.run_uuid},
        "reason": "not backfilled: no partition_key, part_id",
    }
    assert THREADS.name not in result.tables
