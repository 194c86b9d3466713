"""``verify`` describes the tables and creates nothing; a plain store makes no schema calls."""

from __future__ import annotations

from typing import Any

import pytest

from aace.adapters.dynamodb import TableLayoutMismatch
from aace.adapters.dynamodb.bootstrap import bootstrap
from aace.domain.entities import AGENTS, ALL_SCHEMAS, RUNS
from aace.domain.errors import StorageMisconfigured
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.backends.dynamodb import fresh_prefix
from tests.dynamodb.conftest import OpenStore
from tests.dynamodb.faults import Faults
from tests.factories import sample

pytestmark = pytest.mark.anyio

SCHEMA_CALLS = {"DescribeTable", "CreateTable", "UpdateTable", "UpdateContinuousBackups"}


def _tables(client: Any, prefix: str) -> set[str]:
    names: set[str] = set()
    for page in client.get_paginator("list_tables").paginate():
        names |= {name for name in page["TableNames"] if name.startswith(prefix)}
    return names


async def test_verify_on_a_fresh_prefix_names_every_missing_table_and_says_to_run_init(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    store = await open_dynamo_store(prefix=prefix, initialize=False)
    with pytest.raises(StorageMisconfigured) as caught:
        await store.verify()
    message = str(caught.value)
    assert not isinstance(caught.value, TableLayoutMismatch)
    for schema in ALL_SCHEMAS:
        assert store.settings.table_name(schema) in message
    assert f"{len(ALL_SCHEMAS)} of {len(ALL_SCHEMAS)} DynamoDB tables are missing" in message
    assert "aace init" in message
    assert "aace init" in (caught.value.hint or "")
    assert _tables(dynamodb_client, prefix) == set()


async def test_verify_names_only_the_tables_that_are_missing(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store(initialize=False)
    await bootstrap(store.runner, [store.model(s) for s in ALL_SCHEMAS if s is not RUNS])
    with pytest.raises(StorageMisconfigured) as caught:
        await store.verify()
    assert f"1 of {len(ALL_SCHEMAS)} DynamoDB tables are missing" in str(caught.value)
    assert store.settings.table_name(RUNS) in str(caught.value)
    assert store.settings.table_name(AGENTS) not in str(caught.value)


async def test_verify_after_initialize_passes(open_dynamo_store: OpenStore) -> None:
    prefix = fresh_prefix()
    await open_dynamo_store(prefix=prefix)
    checked = await open_dynamo_store(prefix=prefix, initialize=False)
    await checked.verify()


async def test_verify_makes_only_describe_table_calls_and_creates_nothing(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    store = await open_dynamo_store(prefix=prefix, initialize=False)
    faults = Faults(store.runner.client)
    with pytest.raises(StorageMisconfigured):
        await store.verify()
    assert faults.sent == {"DescribeTable": len(ALL_SCHEMAS)}
    await open_dynamo_store(prefix=prefix)
    faults.sent.clear()
    await store.verify()
    assert faults.sent == {"DescribeTable": len(ALL_SCHEMAS)}
    assert len(_tables(dynamodb_client, prefix)) == len(ALL_SCHEMAS)


async def test_verify_refuses_a_table_that_differs_and_names_the_missing_ones_too(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    dynamodb_client.create_table(
        TableName=f"{prefix}aace-agents",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "endpoint_id", "AttributeType": "S"},
            {"AttributeName": "agent_version_uuid", "AttributeType": "S"},
        ],
        KeySchema=[
            {"AttributeName": "endpoint_id", "KeyType": "HASH"},
            {"AttributeName": "agent_version_uuid", "KeyType": "RANGE"},
        ],
    )
    store = await open_dynamo_store(prefix=prefix, initialize=False)
    with pytest.raises(TableLayoutMismatch) as caught:
        await store.verify()
    message = str(caught.value)
    assert f"table {prefix}aace-agents differs from the storage layout" in message
    assert "endpoint_id" in message
    assert f"missing as well: {prefix}aace-" in message
    assert isinstance(caught.value, StorageMisconfigured)
    assert _tables(dynamodb_client, prefix) == {f"{prefix}aace-agents"}


async def test_initialize_names_every_table_that_differs_and_still_creates_the_rest(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    prefix = fresh_prefix()
    for table, hash_key, range_key in (
        ("aace-agents", "endpoint_id", "agent_version_uuid"),
        ("aace-wizards", "endpoint_id", "wizard_uuid"),
    ):
        dynamodb_client.create_table(
            TableName=f"{prefix}{table}",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": hash_key, "AttributeType": "S"},
                {"AttributeName": range_key, "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": range_key, "KeyType": "RANGE"},
            ],
        )
    with pytest.raises(TableLayoutMismatch) as caught:
        await open_dynamo_store(prefix=prefix)
    message = str(caught.value)
    assert f"table {prefix}aace-agents differs" in message
    assert f"table {prefix}aace-wizards differs" in message
    assert len(_tables(dynamodb_client, prefix)) == len(ALL_SCHEMAS)


async def test_a_store_used_without_initialize_or_verify_makes_no_schema_calls(
    open_dynamo_store: OpenStore,
) -> None:
    prefix = fresh_prefix()
    await open_dynamo_store(prefix=prefix)
    store = await open_dynamo_store(prefix=prefix, initialize=False)
    faults = Faults(store.runner.client)
    tenant = PartitionKey("ep", "no-schema-calls")
    agent = sample(AGENTS, tenant)
    repository = store.repository(AGENTS)
    await repository.put(agent)
    assert await repository.get(tenant, AGENTS.key_of(agent)) == agent
    assert await repository.count(tenant, Query()) == 1
    assert faults.sent
    assert SCHEMA_CALLS.isdisjoint(faults.sent)
