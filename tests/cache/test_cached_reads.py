"""The read cache (behaviour.md §10) on the in-process cache and on Redis: a read after a
write never returns what the write replaced, on every write path; reads are served from the
cache; tenants stay apart; secrets and global-index listings are never cached; an outage
degrades to storage and never revives an old entry."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, THREADS
from aace.domain.tenancy import PartitionKey, TenantContext
from benchmarks.backends import counting, requests_of

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


def services(store: Any) -> Any:
    return SimpleNamespace(**wire_services(Settings(), store))


@pytest.fixture
def ctx(tenant: PartitionKey) -> TenantContext:
    return TenantContext(tenant, updated_by="alice")


def statements(store: Any) -> Any:
    return counting(requests_of(store.inner))


async def test_reads_are_served_from_the_cache(cached_store: Any, ctx: TenantContext) -> None:
    app = services(cached_store)
    agent = await app.agents.create(ctx, AGENT)
    await app.agents.get(ctx, agent.agent_version_uuid)  # fills the cache
    await app.agents.list(ctx)
    with statements(cached_store) as sent:
        assert await app.agents.get(ctx, agent.agent_version_uuid) == agent
        assert (await app.agents.list(ctx)).items == [agent]
    assert sum(sent.values()) == 0, sent
    assert cached_store.gate.hits >= 2


async def test_no_read_after_a_write_returns_what_it_replaced(
    cached_store: Any, ctx: TenantContext
) -> None:
    app = services(cached_store)
    agent = await app.agents.create(ctx, AGENT)
    key = agent.agent_version_uuid
    assert await app.agents.get(ctx, key) == agent
    assert await app.agents.count(ctx) == 1
    changed = await app.agents.update(ctx, key, {"instructions": "new"})
    assert await app.agents.get(ctx, key) == changed
    assert (await app.agents.list(ctx)).items == [changed]
    version = await app.agents.new_version(ctx, agent.agent_uuid, {"instructions": "v2"})  # a unit
    assert (await app.agents.get(ctx, key)).status == "inactive"
    assert await app.agents.count(ctx) == 2
    thread = await app.threads.create(ctx, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(ctx, {"thread_uuid": thread.thread_uuid})
    assert await app.runs.count(ctx, thread_uuid=thread.thread_uuid) == 1
    await app.threads.delete(ctx, thread.thread_uuid, cascade=True)  # a cascade
    assert await app.runs.count(ctx, thread_uuid=thread.thread_uuid) == 0
    assert await app.runs.find(ctx, thread.thread_uuid, run.run_uuid) is None
    snippet = await app.flow_snippets.create(ctx, {"prompt_uuid": "p", "flow_name": "F"})
    pointing = await app.agents.create(
        ctx, {**AGENT, "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid}
    )
    assert await app.agents.active(ctx, pointing.agent_uuid) == pointing
    newer = await app.flow_snippets.new_version(ctx, snippet.flow_snippet_uuid, {})  # re-points
    moved = await app.agents.active(ctx, pointing.agent_uuid)
    assert moved.flow_snippet_version_uuid == newer.flow_snippet_version_uuid
    await app.agents.delete(ctx, version.agent_version_uuid)
    assert await app.agents.find(ctx, version.agent_version_uuid) is None


async def test_tenants_stay_apart(
    cached_store: Any, ctx: TenantContext, other_tenant: PartitionKey
) -> None:
    app = services(cached_store)
    other = TenantContext(other_tenant)
    agent = await app.agents.create(ctx, AGENT)
    await app.agents.get(ctx, agent.agent_version_uuid)
    assert await app.agents.find(other, agent.agent_version_uuid) is None
    assert (await app.agents.list(other)).items == []


async def test_secrets_and_global_index_listings_are_never_cached(
    cached_store: Any, ctx: TenantContext
) -> None:
    app = services(cached_store)
    server = await app.mcp_servers.create(
        ctx, {"mcp_label": "m", "mcp_server_url": "u", "headers": {"Authorization": "s3cret"}}
    )
    await app.async_tasks.create(ctx, {"function_name": "f"})
    for _ in range(2):
        with statements(cached_store) as sent:
            await app.mcp_servers.get(ctx, server.mcp_server_uuid)
            await app.mcp_servers.credentials(ctx, server.mcp_server_uuid)
            await app.async_tasks.list(ctx)  # served by the tenant's global index
        assert sum(sent.values()) == 3, sent
    inner = cached_store.switch.inner
    if hasattr(inner, "_values"):  # the in-process cache: look at every entry
        assert not any(b"s3cret" in value for _, value in inner._values.values())
    else:  # Redis: every key of this store's namespace
        keys = await inner._client.keys(f"{cached_store.gate.namespace}:*")
        values = await inner._client.mget(keys) if keys else []
        assert not any(value and b"s3cret" in value for value in values)


async def test_an_outage_degrades_to_storage_and_never_revives_an_old_entry(
    cached_store: Any, ctx: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = services(cached_store)
    agent = await app.agents.create(ctx, AGENT)
    key = agent.agent_version_uuid
    assert await app.agents.get(ctx, key) == agent  # cached
    cached_store.switch.down = True
    changed = await app.agents.update(ctx, key, {"instructions": "during the outage"})
    assert await app.agents.get(ctx, key) == changed  # from storage
    cached_store.switch.down = False  # back, still holding the old entry
    monkeypatch.setattr("aace.adapters.cache.gate._RETRY_SECONDS", 0.0)
    cached_store.gate._retry_at = 0.0
    assert await app.agents.get(ctx, key) == changed  # the epoch moved on: never the old one
    assert (await app.agents.list(ctx)).items == [changed]


async def test_a_registry_page_keeps_each_tenants_cursor(
    cached_store: Any, ctx: TenantContext, other_tenant: PartitionKey
) -> None:
    from aace.domain.tenancy import PlatformContext

    app = services(cached_store)
    other = TenantContext(other_tenant)
    provider = f"p-{ctx.part_id}"
    operator = PlatformContext(updated_by="ops")
    for name in ("a", "b"):
        await app.llms.create(
            operator,
            {"llm_provider": provider, "llm_name": name, "module_name": "m", "class_name": "c"},
        )
    mine = await app.llms.list(ctx, llm_provider=provider, limit=1)
    theirs = await app.llms.list(other, llm_provider=provider, limit=1)  # not my cached page
    following = await app.llms.list(
        other, llm_provider=provider, limit=1, cursor=theirs.next_cursor
    )
    assert [m.llm_name for m in following.items] == ["b"]
    assert mine.next_cursor != theirs.next_cursor


async def test_a_datetime_filter_and_its_text_are_different_listings(
    cached_store: Any, ctx: TenantContext
) -> None:
    agent = await services(cached_store).agents.create(ctx, AGENT)
    repository = cached_store.repository(AGENTS)
    from aace.domain.query import Query

    as_time = await repository.query(
        ctx.partition_key, Query(filters={"updated_at": agent.updated_at})
    )
    as_text = await repository.query(
        ctx.partition_key, Query(filters={"updated_at": agent.updated_at.isoformat()})
    )
    assert [a.agent_version_uuid for a in as_time.items] == [agent.agent_version_uuid]
    assert as_text.items == []  # a text never equals a stored datetime


async def test_an_explicit_commit_inside_the_block_is_not_repeated(
    cached_store: Any, ctx: TenantContext
) -> None:
    from tests.factories import sample

    thread = sample(THREADS, ctx.partition_key)
    async with cached_store.unit_of_work() as uow:
        uow.put(thread)
        await uow.commit()
    assert (
        await cached_store.repository(THREADS).get(ctx.partition_key, (thread.thread_uuid,))
        == thread
    )
