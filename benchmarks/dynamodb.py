"""DynamoDB adapter on DynamoDB Local: overhead over raw PynamoDB, batch request counts, and
what the worker pool buys for concurrent reads. Starts its own DynamoDB Local."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from aace.adapters.dynamodb import DynamoStore
from aace.application.storage import build_store
from aace.domain.entities import AGENTS
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from benchmarks.backends import dynamodb_local
from benchmarks.report import Report, interleaved_ratio
from tests.backends.dynamodb import fresh_prefix, store_config
from tests.factories import sample

SECTION = "dynamodb"
REPEAT = 150
ROUNDS = 11
KEYS = 1000


async def _overhead(report: Report, store: DynamoStore, tenant: PartitionKey) -> None:
    repo = store.repository(AGENTS)
    model: Any = store.model(AGENTS)  # the same table through plain PynamoDB
    agent = sample(AGENTS, tenant)
    await repo.put(agent)
    key = AGENTS.key_of(agent)
    codec, _ = store.target(AGENTS)
    raw = model.from_raw_data(codec.encode(to_record(AGENTS, agent)))  # the very same item
    raw.save()

    async def port_get() -> None:
        await repo.get(tenant, key)

    async def raw_get() -> None:
        model.get(str(tenant), agent.agent_version_uuid, consistent_read=True)

    async def port_put() -> None:
        await repo.put(agent)

    async def raw_put() -> None:
        raw.save()

    async def pooled_raw_get() -> None:
        await store.runner.in_worker(model.get, str(tenant), agent.agent_version_uuid, True)

    async def pooled_raw_put() -> None:
        await store.runner.in_worker(raw.save)

    for name, subject, baseline in (("get", port_get, raw_get), ("put", port_put, raw_put)):
        ratio, mine, theirs = await interleaved_ratio(
            subject, baseline, repeat=REPEAT, rounds=ROUNDS
        )
        report.add(
            SECTION,
            f"repository {name} vs raw PynamoDB",
            ratio,
            "x",
            target="<= 1.10x",
            met=ratio <= 1.10,
            context=f"{mine * 1e3:.2f} ms vs {theirs * 1e3:.2f} ms per call",
        )
    # The async port must hop to a worker thread (PynamoDB is synchronous); this separates
    # that hop from what the adapter itself adds.
    for name, subject, baseline in (
        ("get", port_get, pooled_raw_get),
        ("put", port_put, pooled_raw_put),
    ):
        ratio, mine, theirs = await interleaved_ratio(
            subject, baseline, repeat=REPEAT, rounds=ROUNDS
        )
        report.add(
            SECTION,
            f"repository {name} vs raw PynamoDB in the same worker pool",
            ratio,
            "x",
            context=f"{mine * 1e3:.2f} ms vs {theirs * 1e3:.2f} ms per call",
        )


async def _batch_requests(report: Report, store: DynamoStore, tenant: PartitionKey) -> list[Any]:
    agents = [sample(AGENTS, tenant) for _ in range(KEYS)]
    await store.repository(AGENTS).put_many(agents)
    lock, sent = threading.Lock(), [0]

    def count(**_: Any) -> None:
        with lock:
            sent[0] += 1

    events = store.runner.client.meta.events
    events.register("before-call.dynamodb.BatchGetItem", count)
    keys = [AGENTS.key_of(a) for a in agents]
    found = await store.repository(AGENTS).get_many(tenant, keys)
    events.unregister("before-call.dynamodb.BatchGetItem", count)
    assert found == agents
    report.add(
        SECTION,
        f"BatchGetItem requests for get_many of {KEYS} keys",
        sent[0],
        "requests",
        target="== 10",
        met=sent[0] == 10,
    )
    return keys


async def _concurrency(
    report: Report, store: DynamoStore, tenant: PartitionKey, keys: list[Any]
) -> None:
    repo = store.repository(AGENTS)
    start = time.perf_counter()
    for key in keys:
        await repo.get(tenant, key)
    sequential = time.perf_counter() - start
    start = time.perf_counter()
    await asyncio.gather(*(repo.get(tenant, key) for key in keys))
    concurrent = time.perf_counter() - start
    report.add(
        SECTION,
        f"{len(keys)} concurrent gets vs sequential (throughput)",
        sequential / concurrent,
        "x",
        context=(
            f"{len(keys) / concurrent:.0f} vs {len(keys) / sequential:.0f} gets/s, "
            f"{store.settings.workers} workers"
        ),
    )


async def run(report: Report) -> None:
    with dynamodb_local() as endpoint:
        store = build_store(store_config(endpoint, fresh_prefix()))
        assert isinstance(store, DynamoStore)
        await store.initialize()
        tenant = PartitionKey("bench", "tenant")
        await _overhead(report, store, tenant)
        keys = await _batch_requests(report, store, tenant)
        await _concurrency(report, store, tenant, keys)
        await store.close()
