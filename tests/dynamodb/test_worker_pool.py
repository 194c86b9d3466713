"""Synchronous PynamoDB calls run in a bounded pool and never block the event loop."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest

from aace.domain.entities import AGENTS
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore
from tests.factories import sample

pytestmark = pytest.mark.anyio


async def test_requests_run_at_most_workers_at_a_time_off_the_loop(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store(workers="3")
    tenant = PartitionKey("ep", "pool")
    agents = [sample(AGENTS, tenant) for _ in range(12)]
    await store.repository(AGENTS).put_many(agents)
    lock, running, peak = threading.Lock(), [0], [0]
    loop_thread = threading.get_ident()
    threads: set[int] = set()

    def slow_send(**_: Any) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            threads.add(threading.get_ident())
        time.sleep(0.05)  # a slow network, inside the worker
        with lock:
            running[0] -= 1

    store.runner.client.meta.events.register("before-send.dynamodb.GetItem", slow_send)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    tick_task = asyncio.ensure_future(ticker())
    repo = store.repository(AGENTS)
    found = await asyncio.gather(*(repo.get(tenant, AGENTS.key_of(a)) for a in agents))
    tick_task.cancel()
    assert found == agents
    assert peak[0] == 3
    assert loop_thread not in threads
    assert ticks >= 10  # 12 gets of 50 ms, 3 at a time, take ~200 ms: the loop kept running
