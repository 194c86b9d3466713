"""The bootstrap creates what is missing, is idempotent, and refuses a table that differs."""

from __future__ import annotations

from typing import Any

import pytest

from aace.adapters.dynamodb import TableLayoutMismatch
from aace.adapters.dynamodb.bootstrap import bootstrap
from aace.domain.entities import AGENTS, RUNS
from aace.domain.errors import StorageError
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.backends.dynamodb import fresh_prefix
from tests.dynamodb.conftest import OpenStore
from tests.factories import sample

pytestmark = pytest.mark.anyio


def _create(client: Any, name: str, hash_key: str, range_key: str, **extra: Any) -> None:
    attributes = {hash_key, range_key}
    for index in extra.get("LocalSecondaryIndexes", []):
        attributes |= {k["AttributeName"] for k in index["KeySchema"]}
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in sorted(attributes)
        ],
        KeySchema=[
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        **extra,
    )


async def test_running_the_bootstrap_twice_keeps_the_data(open_dynamo_store: OpenStore) -> None:
    prefix = fresh_prefix()
    first = await open_dynamo_store(prefix=prefix)
    tenant = PartitionKey("ep", "boot")
    agent = sample(AGENTS, tenant)
    await first.repository(AGENTS).put(agent)
    second = await open_dynamo_store(prefix=prefix)
    assert await second.repository(AGENTS).get(tenant, AGENTS.key_of(agent)) == agent


async def test_a_table_with_the_legacy_hash_key_is_refused(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    _create(dynamodb_client, f"{prefix}aace-agents", "endpoint_id", "agent_version_uuid")
    with pytest.raises(TableLayoutMismatch) as caught:
        await open_dynamo_store(prefix=prefix)
    message = str(caught.value)
    assert f"{prefix}aace-agents" in message
    assert "endpoint_id" in message
    assert isinstance(caught.value, StorageError)
    table = dynamodb_client.describe_table(TableName=f"{prefix}aace-agents")["Table"]
    assert {k["AttributeName"] for k in table["KeySchema"]} == {
        "endpoint_id",
        "agent_version_uuid",
    }


async def test_a_table_missing_an_index_is_refused(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    _create(dynamodb_client, f"{prefix}aace-runs", "thread_uuid", "run_uuid")
    with pytest.raises(TableLayoutMismatch, match="index updated_at-index is missing"):
        await open_dynamo_store(prefix=prefix)


async def test_an_index_on_the_wrong_attribute_is_refused(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    _create(
        dynamodb_client,
        f"{prefix}aace-runs",
        "thread_uuid",
        "run_uuid",
        LocalSecondaryIndexes=[
            {
                "IndexName": "updated_at-index",
                "KeySchema": [
                    {"AttributeName": "thread_uuid", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    with pytest.raises(TableLayoutMismatch, match="index updated_at-index is"):
        await open_dynamo_store(prefix=prefix)


async def test_missing_tables_are_created_beside_existing_ones(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    store = await open_dynamo_store(prefix=prefix, initialize=False)
    # Only the runs table exists at first; the full bootstrap then adds the others.
    await bootstrap(store.runner, [store.model(RUNS)])
    await store.initialize()
    tenant = PartitionKey("ep", "more")
    assert await store.repository(AGENTS).count(tenant, Query()) == 0
