"""DynamoDB adapter on DynamoDB Local: overhead over raw PynamoDB, batch request counts, what
the worker pool buys for concurrent reads, and paging over large groups of ties. Starts its
own DynamoDB Local."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from aace.adapters.dynamodb import DynamoStore
from aace.application.storage import build_store
from aace.domain.entities import AGENTS
from aace.domain.query import Query
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from benchmarks.backends import counting, dynamodb_local, requests_of
from benchmarks.report import Report, interleaved_ratio, interleaved_timing
from tests.backends.dynamodb import fresh_prefix, store_config
from tests.factories import sample

SECTION = "dynamodb"
REPEAT = 150
ROUNDS = 11
KEYS = 1000
#: Paging over ties: groups of records sharing one updated_at (bulk imports), pages of 50.
TIE_GROUPS = 20
TIE_SIZE = 1000
PAGE = 50
FAR_PAGE = 200
#: Page 20 holds the last 50 records of the first group; telling whether another page
#: exists means looking one record into the next group.
GROUP_END_PAGE = TIE_SIZE // PAGE
PAGE_REPEAT = 10


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


async def _paging_over_ties(report: Report, store: DynamoStore) -> None:
    tenant = PartitionKey("bench", "ties")
    repo = store.repository(AGENTS)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    await repo.put_many(
        [
            sample(AGENTS, tenant, updated_at=start + timedelta(minutes=group))
            for group in range(TIE_GROUPS)
            for _ in range(TIE_SIZE)
        ]
    )
    first = Query(index="updated_at-index", limit=PAGE)
    opening = [first]  # opening[k - 1] asks for page k
    queries: list[int] = []
    seen: set[str] = set()
    for _ in range(FAR_PAGE):
        with counting(requests_of(store)) as sent:
            page = await repo.query(tenant, opening[-1])
        queries.append(sent["Query"])
        seen.update(a.agent_version_uuid for a in page.items)
        opening.append(attrs.evolve(first, cursor=page.next_cursor))
    assert len(seen) == FAR_PAGE * PAGE, "pages overlapped"
    scope = f"{TIE_GROUPS * TIE_SIZE} records in tie groups of {TIE_SIZE}, limit {PAGE}"
    for name, sent_by_page in (
        ("page 1", queries[0]),
        (f"page {GROUP_END_PAGE} (ends a tie group)", queries[GROUP_END_PAGE - 1]),
        (f"the costliest of pages 1-{FAR_PAGE}", max(queries)),
    ):
        report.add(
            SECTION,
            f"Query requests for {name} over ties",
            sent_by_page,
            "requests",
            target="<= 2",
            met=sent_by_page <= 2,
            context=scope,
        )

    async def far_page() -> None:
        await repo.query(tenant, opening[FAR_PAGE - 1])

    async def first_page() -> None:
        await repo.query(tenant, first)

    timing = await interleaved_timing(far_page, first_page, repeat=PAGE_REPEAT, rounds=ROUNDS)
    raw_far, raw_first = _raw_pages(store, tenant)
    raw = await interleaved_timing(raw_far, raw_first, repeat=PAGE_REPEAT, rounds=ROUNDS)
    report.add(
        SECTION,
        f"page {FAR_PAGE} vs page 1 over ties (time)",
        timing.ratio,
        "x",
        target="<= 1.2x",
        met=timing.ratio <= 1.2,
        context=f"{scope}; {timing.describe()}; plain Query {raw.ratio:.2f}x",
    )
    report.add(
        SECTION,
        f"plain Query page {FAR_PAGE} vs page 1 (DynamoDB Local resuming at its own key)",
        raw.ratio,
        "x",
        context=raw.describe(),
    )


def _raw_pages(
    store: DynamoStore, tenant: PartitionKey
) -> tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """The same two pages as plain botocore Query requests: page ``FAR_PAGE`` resumed at
    DynamoDB's own LastEvaluatedKey, and page 1 (what DynamoDB Local's resuming costs)."""
    client = store.runner.client
    request = {
        "TableName": store.target(AGENTS)[1],
        "IndexName": "updated_at-index",
        "KeyConditionExpression": "partition_key = :p",
        "ExpressionAttributeValues": {":p": {"S": str(tenant)}},
        "Limit": PAGE,
    }
    resume: dict[str, Any] = {}
    for _ in range(FAR_PAGE - 1):
        resume = {"ExclusiveStartKey": client.query(**request, **resume)["LastEvaluatedKey"]}
    probe = {**request, "Limit": PAGE + 1}

    async def far() -> None:
        client.query(**probe, **resume)

    async def first() -> None:
        client.query(**probe)

    return far, first


async def run(report: Report) -> None:
    with dynamodb_local() as endpoint:
        store = build_store(store_config(endpoint, fresh_prefix()))
        assert isinstance(store, DynamoStore)
        await store.initialize()
        tenant = PartitionKey("bench", "tenant")
        await _overhead(report, store, tenant)
        keys = await _batch_requests(report, store, tenant)
        await _concurrency(report, store, tenant, keys)
        await _paging_over_ties(report, store)
        await store.close()
