"""The production table options of ``initialize``, checked with a plain boto3 client.

DynamoDB Local supports provisioned billing (table and global indexes), streams and
deletion protection; it does not know UpdateContinuousBackups, so point-in-time recovery is
checked there for its refusal, and for its requests with the answer injected.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from aace.adapters.dynamodb import DynamoStore
from aace.domain.entities import ALL_SCHEMAS, ASYNC_TASKS
from aace.domain.errors import StorageMisconfigured
from tests.backends.dynamodb import fresh_prefix
from tests.dynamodb.conftest import OpenStore
from tests.dynamodb.faults import Faults

pytestmark = pytest.mark.anyio

PITR_ON = {
    "ContinuousBackupsDescription": {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"},
    }
}


def described(client: Any, store: DynamoStore) -> Iterator[dict[str, Any]]:
    """DescribeTable of every table of the store, as a plain client sees it."""
    for schema in ALL_SCHEMAS:
        yield client.describe_table(TableName=store.settings.table_name(schema))["Table"]


def billing_mode(table: dict[str, Any]) -> str:
    return str(table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED"))


@pytest.fixture
def unprotect(dynamodb_client: Any) -> Iterator[list[str]]:
    """Prefixes whose tables get deletion protection: it is turned off again afterwards,
    so that the store fixture can drop them."""
    prefixes: list[str] = []
    yield prefixes
    for page in dynamodb_client.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(tuple(prefixes)):
                dynamodb_client.update_table(TableName=name, DeletionProtectionEnabled=False)


@pytest.fixture
def dynamodb_local(dynamodb_endpoint: str) -> str:
    if dynamodb_endpoint == "moto":
        pytest.skip("checks what DynamoDB Local itself accepts")
    return dynamodb_endpoint


async def test_tables_are_on_demand_without_stream_or_protection_by_default(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    store = await open_dynamo_store()
    for table in described(dynamodb_client, store):
        assert billing_mode(table) == "PAY_PER_REQUEST"
        assert "StreamSpecification" not in table
        assert table.get("DeletionProtectionEnabled") in (None, False)


async def test_provisioned_billing_applies_to_every_table_and_its_global_indexes(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    store = await open_dynamo_store(
        billing_mode="PROVISIONED", read_capacity="5", write_capacity="7"
    )
    global_indexes = 0
    for table in described(dynamodb_client, store):
        assert billing_mode(table) == "PROVISIONED"
        throughput = table["ProvisionedThroughput"]
        assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 7)
        for index in table.get("GlobalSecondaryIndexes", []):
            global_indexes += 1
            throughput = index["ProvisionedThroughput"]
            assert (throughput["ReadCapacityUnits"], throughput["WriteCapacityUnits"]) == (5, 7)
    assert global_indexes >= 1  # the async tasks' partition_key-updated_at-index
    await store.verify()  # billing is not part of the layout


@pytest.mark.parametrize("view", ["NEW_AND_OLD_IMAGES", "KEYS_ONLY"])
async def test_a_stream_of_the_asked_view_type_is_turned_on(
    open_dynamo_store: OpenStore, dynamodb_client: Any, view: str
) -> None:
    store = await open_dynamo_store(stream=view.lower())
    for table in described(dynamodb_client, store):
        assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": view}
        assert table["LatestStreamArn"]


async def test_deletion_protection_is_set_on_created_tables_and_refuses_a_delete(
    open_dynamo_store: OpenStore, dynamodb_client: Any, unprotect: list[str]
) -> None:
    prefix = fresh_prefix()
    unprotect.append(prefix)
    store = await open_dynamo_store(prefix=prefix, deletion_protection="true")
    for table in described(dynamodb_client, store):
        assert table["DeletionProtectionEnabled"] is True
    with pytest.raises(ClientError, match="protected against deletion"):
        dynamodb_client.delete_table(TableName=store.settings.table_name(ASYNC_TASKS))


async def test_deletion_protection_is_turned_on_for_existing_tables_once(
    open_dynamo_store: OpenStore, dynamodb_client: Any, unprotect: list[str]
) -> None:
    prefix = fresh_prefix()
    unprotect.append(prefix)
    await open_dynamo_store(prefix=prefix)
    store = await open_dynamo_store(prefix=prefix, initialize=False, deletion_protection="true")
    faults = Faults(store.runner.client)
    await store.initialize()
    assert faults.sent.get("UpdateTable") == len(ALL_SCHEMAS)
    assert "CreateTable" not in faults.sent
    for table in described(dynamodb_client, store):
        assert table["DeletionProtectionEnabled"] is True
    faults.sent.clear()
    await store.initialize()  # idempotent: already on, nothing to change
    assert faults.sent == {"DescribeTable": len(ALL_SCHEMAS)}


async def test_billing_and_stream_of_existing_tables_are_left_as_they_are_and_noted(
    open_dynamo_store: OpenStore, dynamodb_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    prefix = fresh_prefix()
    await open_dynamo_store(prefix=prefix)
    store = await open_dynamo_store(
        prefix=prefix,
        initialize=False,
        billing_mode="PROVISIONED",
        read_capacity="5",
        write_capacity="5",
        stream="NEW_IMAGE",
    )
    faults = Faults(store.runner.client)
    with caplog.at_level(logging.WARNING, logger="aace.adapters.dynamodb.bootstrap"):
        await store.initialize()
    assert faults.sent == {"DescribeTable": len(ALL_SCHEMAS)}
    for table in described(dynamodb_client, store):
        assert billing_mode(table) == "PAY_PER_REQUEST"
        assert "StreamSpecification" not in table
    notes = "\n".join(record.getMessage() for record in caplog.records)
    agents = f"{prefix}aace-agents"
    assert f"table {agents} keeps billing mode PAY_PER_REQUEST" in notes
    assert f"table {agents} keeps its stream (off; stream=NEW_IMAGE" in notes


async def test_dynamodb_local_refuses_point_in_time_recovery_and_the_error_says_so(
    open_dynamo_store: OpenStore, dynamodb_local: str
) -> None:
    with pytest.raises(StorageMisconfigured) as caught:
        await open_dynamo_store(point_in_time_recovery="true")
    assert str(caught.value) == (
        f"point_in_time_recovery=true, but DynamoDB at http://{dynamodb_local} refused it "
        "(UnknownOperationException: An unknown operation was requested.)"
    )
    assert "point_in_time_recovery" in (caught.value.hint or "")


async def test_point_in_time_recovery_is_asked_for_every_table_once_it_is_active(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store(initialize=False, point_in_time_recovery="true")
    faults = Faults(store.runner.client)
    asked: list[dict[str, Any]] = []
    # Right after CreateTable, AWS may answer that backups are not available yet.
    not_yet = ["ContinuousBackupsUnavailableException"] * 2
    faults.answer("UpdateContinuousBackups", PITR_ON, asked, errors=not_yet)
    await store.initialize()
    names = {store.settings.table_name(schema) for schema in ALL_SCHEMAS}
    assert sorted(request["TableName"] for request in asked) == sorted(names)
    for request in asked:
        assert request["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert faults.sent["UpdateContinuousBackups"] == len(ALL_SCHEMAS) + 2
