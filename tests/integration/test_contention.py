"""Concurrent callers on every backend: idempotent repeats at the limit all get the first
result; contended version changes all succeed (retried with backoff until the deadline)."""

from __future__ import annotations

import asyncio

import pytest

from aace.application.services import AGENT_COUNTER, AgentService
from aace.application.services.contention import (
    LostRace,
    commit_or_lose,
    contention_policy,
    settle,
)
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, IDEMPOTENCY, TENANT_COUNTERS
from aace.domain.errors import ConditionFailed, IdempotencyConflict, LimitExceeded
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import TenantContext

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def test_concurrent_repeats_at_the_limit_all_get_the_first_agent(
    store: Store, context: TenantContext
) -> None:
    agents = AgentService(store, Settings(max_agents_per_tenant=1))
    results = await asyncio.gather(
        *(agents.create(context, AGENT, idempotency_key="once") for _ in range(20)),
        return_exceptions=True,
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    created = [r for r in results if not isinstance(r, BaseException)]
    assert failures == []
    assert len({a.agent_version_uuid for a in created}) == 1
    tenant = context.partition_key
    assert await store.repository(AGENTS).count(tenant, Query()) == 1
    assert await store.repository(IDEMPOTENCY).count(tenant, Query()) == 1
    counter = await store.repository(TENANT_COUNTERS).get(tenant, (AGENT_COUNTER,))
    assert counter.value == 1


async def test_at_the_limit_another_key_is_refused_and_other_input_is_a_conflict(
    store: Store, context: TenantContext
) -> None:
    agents = AgentService(store, Settings(max_agents_per_tenant=1))
    first = await agents.create(context, AGENT, idempotency_key="first")
    assert await agents.create(context, AGENT, idempotency_key="first") == first
    with pytest.raises(LimitExceeded):
        await agents.create(context, AGENT, idempotency_key="second")
    with pytest.raises(IdempotencyConflict):
        await agents.create(context, {**AGENT, "agent_name": "Other"}, idempotency_key="first")
    assert await store.repository(AGENTS).count(context.partition_key, Query()) == 1


@pytest.mark.parametrize(
    "instances", [1, 4], ids=["one-service-queues", "four-services-race-and-retry"]
)
async def test_concurrent_new_versions_of_one_agent_all_succeed(
    store: Store, context: TenantContext, instances: int
) -> None:
    """20 callers; spread over several service instances (as over several processes) they
    race and the losers retry; within one instance they also queue up."""
    callers = 20
    services = [AgentService(store, Settings()) for _ in range(instances)]
    agent = await services[0].create(context, AGENT)
    results = await asyncio.gather(
        *(
            services[n % instances].new_version(
                context, agent.agent_uuid, {"instructions": f"v{n}"}
            )
            for n in range(callers)
        ),
        return_exceptions=True,
    )
    assert [r for r in results if isinstance(r, BaseException)] == []
    versions = await services[0].versions(context, agent.agent_uuid)
    assert len(versions) == callers + 1
    actives = [v for v in versions if v.status == "active"]
    assert len(actives) == 1
    assert actives[0] in results


async def test_concurrent_activations_leave_exactly_one_active_version(
    store: Store, context: TenantContext
) -> None:
    agents = AgentService(store, Settings())
    agent = await agents.create(context, AGENT)
    versions = [agent]
    for n in range(5):
        versions.append(
            await agents.new_version(context, agent.agent_uuid, {"instructions": f"{n}"})
        )
    await asyncio.gather(*(agents.activate(context, v.agent_version_uuid) for v in versions * 2))
    stored = await agents.versions(context, agent.agent_uuid)
    assert [v.status for v in stored].count("active") == 1


async def test_a_write_that_keeps_losing_gives_up_with_condition_failed_by_the_deadline() -> None:
    """No retry starts once its wait would end past the deadline (0.3 s here, on a clock
    that the waits move)."""
    tries = 0
    now = [0.0]
    waits: list[tuple[float, float]] = []

    async def always_loses() -> None:
        nonlocal tries
        tries += 1
        raise LostRace("someone else was first")

    async def wait(seconds: float) -> None:
        waits.append((now[0], seconds))
        now[0] += seconds

    policy = contention_policy(0.3)
    with pytest.raises(ConditionFailed, match="kept changing") as caught:
        await settle(policy, always_loses, "agent a-1", sleep=wait, clock=lambda: now[0])
    assert not isinstance(caught.value, LostRace)
    assert all(began + seconds < 0.3 for began, seconds in waits)
    assert now[0] + policy.ceiling(len(waits)) >= 0.3  # it gave up at the deadline, not before
    assert tries == len(waits) + 1 >= 3


async def test_only_a_lost_race_is_retried(store: Store, context: TenantContext) -> None:
    """A failure of the attempt's own reads (here: a limit) is raised at once, not retried."""
    tries = 0

    async def refused() -> None:
        nonlocal tries
        tries += 1
        uow = store.unit_of_work()
        uow.increment(context.partition_key, "things", 2, limit=1)
        await commit_or_lose(uow)

    with pytest.raises(LimitExceeded):
        await settle(contention_policy(5), refused, "things")
    assert tries == 1
