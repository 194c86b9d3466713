"""``migrate validate`` into DynamoDB Local: a target record that cannot be read is named. The
rules (counts per table and tenant, tenant attrs, records compared) are tested from the
memory source into every adapter: ``test_follow_rules.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.migration.legacy import run
from aace.application.migration.validate import validate
from aace.application.settings import Settings
from tests.migration.conftest import Legacy, options

pytestmark = pytest.mark.anyio


def _prefix(settings: Settings) -> str:
    return settings.storage_url.split("table_prefix=")[1]


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
