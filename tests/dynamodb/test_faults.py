"""Throttling and partial batches: retried with growing waits, nothing lost or duplicated."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aace.domain.entities import AGENTS, RUNS, TENANT_COUNTERS
from aace.domain.errors import StorageUnavailable, TooLarge
from aace.domain.ports import ANY
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore
from tests.dynamodb.faults import Faults, SleepRecorder
from tests.factories import new_id, sample

pytestmark = pytest.mark.anyio

BASE, CAP = 0.01, 0.08
RETRIES = {"retry_base_delay": str(BASE), "retry_max_delay": str(CAP)}


def halves(entries: list[Any]) -> tuple[list[Any], list[Any]]:
    middle = (len(entries) + 1) // 2
    return entries[:middle], entries[middle:]


def assert_backs_off(delays: list[float]) -> None:
    """Every wait lies in [d/2, d] for d = min(cap, base * 2**attempt)."""
    for attempt, delay in enumerate(delays):
        ceiling = min(CAP, BASE * 2**attempt)
        assert ceiling / 2 <= delay <= ceiling, (attempt, delay)


async def _store(
    open_dynamo_store: OpenStore, **options: str
) -> tuple[Any, Faults, SleepRecorder]:
    store = await open_dynamo_store(**RETRIES, **options)
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    return store, Faults(store.runner.client), sleeps


async def test_a_throttled_read_is_retried_with_growing_waits(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "throttled")
    agent = sample(AGENTS, tenant)
    await store.repository(AGENTS).put(agent)
    faults.fail("GetItem", "ProvisionedThroughputExceededException", times=5)
    assert await store.repository(AGENTS).get(tenant, AGENTS.key_of(agent)) == agent
    assert faults.sent["GetItem"] == 6
    assert len(sleeps.delays) == 5
    assert_backs_off(sleeps.delays)
    assert sleeps.delays[-1] > sleeps.delays[0]


async def test_a_throttled_write_lands_once(open_dynamo_store: OpenStore) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "throttled-write")
    faults.fail("PutItem", "ThrottlingException", times=2)
    faults.fail("TransactWriteItems", "InternalServerError", times=2, status=500)
    agent = sample(AGENTS, tenant)
    await store.repository(AGENTS).put(agent)
    async with store.unit_of_work() as uow:
        uow.put(sample(AGENTS, tenant))
        uow.increment(tenant, "agents", 1, limit=5)
    assert await store.repository(AGENTS).count(tenant, Query()) == 2
    counters = store.repository(TENANT_COUNTERS)
    assert (await counters.get(tenant, ("agents",))).value == 1
    assert len(sleeps.delays) == 4


async def test_a_backend_that_keeps_throttling_is_unavailable(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store, retry_attempts="4")
    faults.fail("GetItem", "ProvisionedThroughputExceededException", times=100)
    with pytest.raises(StorageUnavailable, match="ProvisionedThroughputExceeded"):
        await store.repository(AGENTS).find(PartitionKey("ep", "x"), ("k",))
    assert faults.sent["GetItem"] == 4
    assert len(sleeps.delays) == 3
    assert_backs_off(sleeps.delays)


async def test_unprocessed_keys_are_fetched_again_and_nothing_is_lost(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "unprocessed-keys")
    runs = [sample(RUNS, tenant, thread_uuid=f"thread-{i % 7}") for i in range(250)]
    await store.repository(RUNS).put_many(runs)
    processed: list[Any] = []
    faults.hold_back("BatchGetItem", rounds=6, split=halves, processed=processed)
    missing = (new_id(), new_id())
    keys = [RUNS.key_of(r) for r in runs] + [missing] + [RUNS.key_of(runs[3])]
    found = await store.repository(RUNS).get_many(tenant, keys)
    assert found == [*runs, None, runs[3]]
    fetched = [json.dumps(k, sort_keys=True) for k in processed]
    assert len(fetched) == len(set(fetched)) == 251  # every distinct key asked for once
    assert faults.sent["BatchGetItem"] > 3  # three chunks, then the held-back parts
    assert sleeps.delays, "unprocessed keys must be retried after a wait"
    assert all(BASE / 2 <= d <= CAP for d in sleeps.delays)


async def test_unprocessed_keys_of_one_chunk_wait_longer_each_round(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "rounds")
    runs = [sample(RUNS, tenant) for _ in range(40)]
    await store.repository(RUNS).put_many(runs)
    processed: list[Any] = []
    faults.hold_back("BatchGetItem", rounds=4, split=halves, processed=processed)
    assert await store.repository(RUNS).get_many(tenant, [RUNS.key_of(r) for r in runs]) == runs
    assert faults.sent["BatchGetItem"] == 5  # 20, 10, 5, 3 processed, then the last 2
    assert len(sleeps.delays) == 4
    assert_backs_off(sleeps.delays)


async def test_unprocessed_keys_that_stay_unprocessed_are_unavailable(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store, retry_attempts="3")
    tenant = PartitionKey("ep", "stuck-keys")
    runs = [sample(RUNS, tenant) for _ in range(8)]
    await store.repository(RUNS).put_many(runs)
    faults.hold_back("BatchGetItem", rounds=100, split=halves, processed=[])
    with pytest.raises(StorageUnavailable) as caught:
        await store.repository(RUNS).get_many(tenant, [RUNS.key_of(r) for r in runs])
    table = store.settings.table_name(RUNS)
    assert str(caught.value) == (
        f"BatchGetItem on {table}: 1 requests stayed unprocessed after 3 tries"
    )
    assert faults.sent["BatchGetItem"] == 3  # 8 keys: 4, 2, 1 processed, 1 left
    assert len(sleeps.delays) == 2
    assert_backs_off(sleeps.delays)


async def test_unprocessed_writes_are_sent_again_and_land_once(
    open_dynamo_store: OpenStore, dynamodb_client: Any
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "unprocessed-items")
    thread = new_id()
    runs = [sample(RUNS, tenant, thread_uuid=thread) for _ in range(60)]
    processed: list[Any] = []
    faults.hold_back("BatchWriteItem", rounds=5, split=halves, processed=processed)
    await store.repository(RUNS).put_many(runs)
    written = [p["PutRequest"]["Item"]["run_uuid"]["S"] for p in processed]
    assert sorted(written) == sorted(r.run_uuid for r in runs)  # each sent exactly once
    assert sleeps.delays
    stored = dynamodb_client.query(
        TableName=store.settings.table_name(RUNS),
        KeyConditionExpression="thread_uuid = :t",
        ExpressionAttributeValues={":t": {"S": thread}},
    )["Items"]
    assert len(stored) == 60
    assert await store.repository(RUNS).get_many(tenant, [RUNS.key_of(r) for r in runs]) == runs


async def test_a_throttled_batch_is_retried(open_dynamo_store: OpenStore) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "throttled-batch")
    runs = [sample(RUNS, tenant) for _ in range(30)]
    faults.fail("BatchWriteItem", "ProvisionedThroughputExceededException", times=2)
    await store.repository(RUNS).put_many(runs)
    faults.fail("BatchGetItem", "ThrottlingException", times=2)
    assert await store.repository(RUNS).get_many(tenant, [RUNS.key_of(r) for r in runs]) == runs
    assert len(sleeps.delays) == 4


async def test_the_item_collection_limit_is_named(open_dynamo_store: OpenStore) -> None:
    store, faults, _ = await _store(open_dynamo_store)
    faults.fail("PutItem", "ItemCollectionSizeLimitExceededException", times=1)
    with pytest.raises(TooLarge) as caught:
        await store.repository(AGENTS).put(sample(AGENTS, PartitionKey("ep", "full")))
    assert "10 GB" in caught.value.limit
    assert caught.value.field == "partition_key"


CONFLICT = [{"Code": "TransactionConflict"}, {"Code": "None"}]


async def test_a_conflicting_transaction_is_retried_with_growing_waits_and_fresh_tokens(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store)
    tenant = PartitionKey("ep", "conflicted")
    tokens: list[str] = []
    faults.cancel(CONFLICT, times=3, tokens=tokens)
    agents = [sample(AGENTS, tenant) for _ in range(2)]
    async with store.unit_of_work() as uow:
        for agent in agents:
            uow.put(agent)
    assert faults.sent["TransactWriteItems"] == 4
    assert len(set(tokens)) == 3  # each try under its own request token
    assert len(sleeps.delays) == 3
    assert_backs_off(sleeps.delays)
    assert await store.repository(AGENTS).count(tenant, Query()) == 2


async def test_a_transaction_that_keeps_conflicting_is_unavailable(
    open_dynamo_store: OpenStore,
) -> None:
    store, faults, sleeps = await _store(open_dynamo_store, retry_attempts="3")
    tenant = PartitionKey("ep", "always-conflicted")
    faults.cancel(CONFLICT, times=100)
    with pytest.raises(
        StorageUnavailable, match=r"^the unit of work kept conflicting with others \(3 tries\)$"
    ):
        async with store.unit_of_work() as uow:
            uow.put(sample(AGENTS, tenant))
            uow.put(sample(AGENTS, tenant))
    assert faults.sent["TransactWriteItems"] == 3
    assert len(sleeps.delays) == 2
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


async def test_a_delete_over_a_foreign_record_is_retried_as_a_check_at_once(
    open_dynamo_store: OpenStore,
) -> None:
    """The first round finds the record is another tenant's; the next one, sent without a
    wait, checks that it still is and lands the rest."""
    store, faults, sleeps = await _store(open_dynamo_store)
    owner, other = PartitionKey("ep", "owner"), PartitionKey("ep", "other")
    theirs = sample(RUNS, owner)
    await store.repository(RUNS).put(theirs)
    mine = sample(AGENTS, other)
    async with store.unit_of_work() as uow:
        uow.delete(RUNS, other, RUNS.key_of(theirs), condition=ANY)
        uow.put(mine)
    assert faults.sent["TransactWriteItems"] == 2
    assert sleeps.delays == []
    assert await store.repository(RUNS).get(owner, RUNS.key_of(theirs)) == theirs
    assert await store.repository(AGENTS).get(other, AGENTS.key_of(mine)) == mine
