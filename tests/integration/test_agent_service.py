"""Versioned agents: one active version always, idempotent creation, per-tenant limits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from aace.application.services import AGENT_COUNTER, AgentService
from aace.domain.entities import AGENTS, TENANT_COUNTERS, THREADS
from aace.domain.errors import (
    HasDependents,
    IdempotencyConflict,
    LimitExceeded,
    NotFound,
    ValidationError,
)
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.tenancy import TenantContext
from tests.factories import sample

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _actives(agents: AgentService, context: TenantContext, agent_uuid: str) -> list[Any]:
    return [v for v in await agents.versions(context, agent_uuid) if v.status == "active"]


async def test_a_new_agent_has_one_active_version_with_tenant_attributes(
    agents: AgentService, context: TenantContext
) -> None:
    agent = await agents.create(context, AGENT)
    assert agent.status == "active"
    assert agent.partition_key == context.partition_key
    assert agent.updated_by == "alice"
    assert await agents.active(context, agent.agent_uuid) == agent


async def test_a_new_version_copies_the_active_one_and_deactivates_the_rest(
    agents: AgentService, context: TenantContext
) -> None:
    first = await agents.create(context, {**AGENT, "instructions": "v1", "num_of_messages": 3})
    second = await agents.new_version(context, first.agent_uuid, {"instructions": "v2"})
    assert second.num_of_messages == 3
    assert second.instructions == "v2"
    assert (await agents.get(context, first.agent_version_uuid)).status == "inactive"
    assert await _actives(agents, context, first.agent_uuid) == [second]


async def test_activating_an_old_version_deactivates_the_current_one(
    agents: AgentService, context: TenantContext
) -> None:
    first = await agents.create(context, AGENT)
    second = await agents.new_version(context, first.agent_uuid, {"instructions": "v2"})
    await agents.activate(context, first.agent_version_uuid)
    actives = await _actives(agents, context, first.agent_uuid)
    assert [v.agent_version_uuid for v in actives] == [first.agent_version_uuid]
    assert (await agents.get(context, second.agent_version_uuid)).status == "inactive"


async def test_deleting_the_active_version_promotes_the_latest_remaining(
    agents: AgentService, context: TenantContext
) -> None:
    first = await agents.create(context, AGENT)
    second = await agents.new_version(context, first.agent_uuid, {"instructions": "v2"})
    third = await agents.new_version(context, first.agent_uuid, {"instructions": "v3"})
    await agents.delete(context, third.agent_version_uuid)
    actives = await _actives(agents, context, first.agent_uuid)
    # second was deactivated after first, so it is the most recently updated remaining.
    assert [v.agent_version_uuid for v in actives] == [second.agent_version_uuid]


async def test_concurrent_new_versions_leave_exactly_one_active(
    agents: AgentService, context: TenantContext
) -> None:
    first = await agents.create(context, AGENT)
    await asyncio.gather(
        *(
            agents.new_version(context, first.agent_uuid, {"instructions": f"v{i}"})
            for i in range(8)
        )
    )
    versions = await agents.versions(context, first.agent_uuid)
    assert len(versions) == 9
    assert len([v for v in versions if v.status == "active"]) == 1


async def test_concurrent_activations_leave_exactly_one_active(
    agents: AgentService, context: TenantContext
) -> None:
    first = await agents.create(context, AGENT)
    others = [
        await agents.new_version(context, first.agent_uuid, {"instructions": f"v{i}"})
        for i in range(4)
    ]
    targets = [first, *others[:-1]]
    await asyncio.gather(*(agents.activate(context, v.agent_version_uuid) for v in targets))
    assert len(await _actives(agents, context, first.agent_uuid)) == 1


async def test_the_same_idempotency_key_and_input_returns_the_first_agent(
    agents: AgentService, context: TenantContext, store: Store
) -> None:
    once = await agents.create(context, AGENT, idempotency_key="req-1")
    again = await agents.create(context, AGENT, idempotency_key="req-1")
    assert again == once
    assert await agents.count_active(context) == 1


async def test_the_same_idempotency_key_with_other_input_is_a_conflict(
    agents: AgentService, context: TenantContext
) -> None:
    await agents.create(context, AGENT, idempotency_key="req-1")
    with pytest.raises(IdempotencyConflict):
        await agents.create(context, {**AGENT, "agent_name": "Other"}, idempotency_key="req-1")
    assert await agents.count_active(context) == 1


async def test_idempotency_keys_are_scoped_to_the_tenant(
    agents: AgentService, context: TenantContext, other_context: TenantContext
) -> None:
    mine = await agents.create(context, AGENT, idempotency_key="req-1")
    theirs = await agents.create(other_context, AGENT, idempotency_key="req-1")
    assert mine.agent_uuid != theirs.agent_uuid


async def test_concurrent_repeats_of_one_idempotent_create_make_one_agent(
    agents: AgentService, context: TenantContext
) -> None:
    results = await asyncio.gather(
        *(agents.create(context, AGENT, idempotency_key="req-9") for _ in range(10))
    )
    assert len({r.agent_version_uuid for r in results}) == 1
    assert await agents.count_active(context) == 1


async def test_the_agent_limit_holds_under_concurrent_creates(
    agents: AgentService, context: TenantContext, store: Store
) -> None:
    async def attempt() -> bool:
        try:
            await agents.create(context, AGENT)
        except LimitExceeded:
            return False
        return True

    results = await asyncio.gather(*(attempt() for _ in range(12)))
    assert sum(results) == 5
    assert await agents.count_active(context) == 5
    counter = await store.repository(TENANT_COUNTERS).get(context.partition_key, (AGENT_COUNTER,))
    assert counter.value == 5


async def test_versions_do_not_count_against_the_limit_and_deleting_frees_a_slot(
    agents: AgentService, context: TenantContext
) -> None:
    created = [await agents.create(context, AGENT) for _ in range(5)]
    await agents.new_version(context, created[0].agent_uuid, {"instructions": "more"})
    with pytest.raises(LimitExceeded):
        await agents.create(context, AGENT)
    await agents.delete(context, created[1].agent_version_uuid)
    await agents.create(context, AGENT)
    assert await agents.count_active(context) == 5


async def test_an_agent_with_threads_cannot_be_deleted(
    agents: AgentService, context: TenantContext, store: Store
) -> None:
    agent = await agents.create(context, AGENT)
    thread = sample(THREADS, context.partition_key, agent_uuid=agent.agent_uuid)
    await store.repository(THREADS).put(thread, condition=ABSENT)
    with pytest.raises(HasDependents):
        await agents.delete(context, agent.agent_version_uuid)
    assert await agents.get(context, agent.agent_version_uuid) == agent


async def test_another_tenant_cannot_version_activate_or_delete(
    agents: AgentService, context: TenantContext, other_context: TenantContext
) -> None:
    agent = await agents.create(context, AGENT)
    with pytest.raises(NotFound):
        await agents.new_version(other_context, agent.agent_uuid, {"instructions": "x"})
    with pytest.raises(NotFound):
        await agents.activate(other_context, agent.agent_version_uuid)
    with pytest.raises(NotFound):
        await agents.delete(other_context, agent.agent_version_uuid)
    assert await agents.count_active(other_context) == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({**AGENT, "partition_key": "evil#tenant"}, "partition_key"),
        ({**AGENT, "part_id": "evil"}, "part_id"),
        ({**AGENT, "status": "inactive"}, "status"),
        ({**AGENT, "colour": "blue"}, "colour"),
        ({**AGENT, "num_of_messages": "ten"}, "num_of_messages"),
        ({"llm_provider": "openai", "llm_name": "gpt"}, "agent_name"),
        ({**AGENT, "agent_name": "   "}, "agent_name"),
        ({**AGENT, "configuration": {"x": float("nan")}}, "configuration.x"),
        ({**AGENT, "mcp_server_uuids": ["ok", 3]}, "mcp_server_uuids[1]"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
async def test_bad_input_names_the_field_and_writes_nothing(
    agents: AgentService, context: TenantContext, store: Store, data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await agents.create(context, data)
    assert caught.value.field == field
    assert await store.repository(AGENTS).count(context.partition_key, Query()) == 0
    assert (
        await store.repository(TENANT_COUNTERS).find(context.partition_key, (AGENT_COUNTER,))
        is None
    )


async def test_listing_active_agents_pages_newest_first(
    agents: AgentService, context: TenantContext
) -> None:
    created = [await agents.create(context, {**AGENT, "agent_name": f"a{i}"}) for i in range(5)]
    await agents.new_version(context, created[0].agent_uuid, {"agent_name": "a0 v2"})
    page = await agents.list_active(context, limit=2)
    names = [a.agent_name for a in page.items]
    while page.next_cursor:
        page = await agents.list_active(context, limit=2, cursor=page.next_cursor)
        names.extend(a.agent_name for a in page.items)
    assert names == ["a0 v2", "a4", "a3", "a2", "a1"]
