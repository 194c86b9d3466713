"""Synchronous PynamoDB calls run in a bounded pool and never block the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import pytest

from aace.domain.entities import AGENTS
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore
from tests.factories import sample

pytestmark = pytest.mark.anyio


#: Seconds after which a broken pool (one that never holds three requests) fails the test
#: instead of hanging it: a guard, never a measure.
HANG_GUARD = 60


def _queued_or_served(limiter: anyio.CapacityLimiter) -> tuple[int, int]:
    """How many calls wait for a worker, and how many hold one."""
    statistics = limiter.statistics()
    return statistics.tasks_waiting, statistics.borrowed_tokens


async def test_requests_run_at_most_workers_at_a_time_off_the_loop(
    open_dynamo_store: OpenStore,
) -> None:
    """Twelve gets on three workers: three are held inside their worker threads while the
    loop, still running, sees the other nine queue for a worker; then all complete."""
    store = await open_dynamo_store(workers="3")
    tenant = PartitionKey("ep", "pool")
    agents = [sample(AGENTS, tenant) for _ in range(12)]
    await store.repository(AGENTS).put_many(agents)
    lock, running, peak = threading.Lock(), [0], [0]
    loop = asyncio.get_running_loop()
    loop_thread = threading.get_ident()
    threads: set[int] = set()
    three_held, release = asyncio.Event(), threading.Event()

    def held_send(**_: Any) -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
            threads.add(threading.get_ident())
            if running[0] == 3:
                loop.call_soon_threadsafe(three_held.set)
        release.wait()  # a slow network, inside the worker, until the test has looked
        with lock:
            running[0] -= 1

    store.runner.client.meta.events.register("before-send.dynamodb.GetItem", held_send)
    repo = store.repository(AGENTS)
    gets = asyncio.gather(*(repo.get(tenant, AGENTS.key_of(a)) for a in agents))
    try:
        with anyio.fail_after(HANG_GUARD):
            await three_held.wait()  # the loop runs while three requests are in flight
            limiter = store.runner._limiter
            assert limiter is not None
            while sum(_queued_or_served(limiter)) < len(agents):  # noqa: ASYNC110 - a state
                await asyncio.sleep(0)
        # Every get now waits for a worker or holds one: three hold one, nine wait.
        assert _queued_or_served(limiter) == (9, 3)
        assert running[0] == 3
    finally:
        release.set()
    found = await gets
    assert found == agents
    assert peak[0] == 3
    assert loop_thread not in threads
