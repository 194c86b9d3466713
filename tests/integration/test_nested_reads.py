"""Nested reads (``include=``, ``app.loader``) without N+1, counted on the backend: the
listing's own requests plus one batched read per related entity, the same for 50 and 500
items apart from the backend's batch chunks (SQL: 1000 keys a statement; DynamoDB: 100 a
BatchGetItem)."""

from __future__ import annotations

import asyncio
import math
from collections import Counter
from typing import Any

import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.application.loader import Loader
from aace.application.services.views import McpServerView, public_view
from aace.domain.entities import AGENTS, MCP_SERVERS
from aace.domain.errors import ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from benchmarks.backends import counting, requests_of
from tests.factories import sample
from tests.integration.records import agents_with_references

pytestmark = pytest.mark.anyio


def _sent(store: Store) -> Any:
    if isinstance(store, SqlStore | DynamoStore):
        return counting(requests_of(store))
    return _Nothing()


class _Nothing:
    """The memory adapter sends nothing to count."""

    def __enter__(self) -> Counter[str]:
        return Counter()

    def __exit__(self, *_: Any) -> None:
        return None


@pytest.mark.parametrize("count", [50, 500])
async def test_list_active_with_includes_reads_in_batches(
    app: Any, store: Store, context: TenantContext, count: int
) -> None:
    await agents_with_references(store, context.partition_key, count)
    with _sent(store) as sent:
        page = await app.agents.list_active(
            context, limit=count, include=["flow_snippet", "mcp_servers"]
        )
    assert len(page.items) == count
    for agent in page.items:
        key = AGENTS.key_of(agent)
        snippet = page.related["flow_snippet"][key]
        assert snippet.flow_snippet_version_uuid == agent.flow_snippet_version_uuid
        servers = page.related["mcp_servers"][key]
        assert [s.mcp_server_uuid for s in servers] == agent.mcp_server_uuids
        assert all(isinstance(s, McpServerView) for s in servers)  # never the headers
    if isinstance(store, SqlStore):
        # The page, then the snippets and the servers: 3 statements for 50 agents.
        batches = math.ceil(count / 1000) + math.ceil(3 * count / 1000)
        assert sum(sent.values()) == 1 + batches, sent
    elif isinstance(store, DynamoStore):
        batches = math.ceil(count / 100) + math.ceil(3 * count / 100)
        assert sent["BatchGetItem"] == batches, sent
        assert set(sent) <= {"Query", "BatchGetItem"}, sent
        assert sent["Query"] <= math.ceil(count / 100) + 1, sent  # the listing's own pages


async def test_a_key_asked_for_twice_in_one_tick_is_fetched_once(
    store: Store, context: TenantContext
) -> None:
    server = sample(MCP_SERVERS, context.partition_key, headers={"A": "s"})
    await store.repository(MCP_SERVERS).put_many([server])
    loader = Loader(store, context.partition_key, public_view)
    key = (server.mcp_server_uuid,)
    with _sent(store) as sent:
        first, second, many = await asyncio.gather(
            loader.load("mcp_servers", key),
            loader.load(MCP_SERVERS, server.mcp_server_uuid),
            loader.load_many("mcp_servers", [key, ("missing",)]),
        )
        again = await loader.load("mcp_servers", key)  # cached for the request
    assert first == second == again == many[0] == McpServerView.of(server)
    assert many[1] is None
    if isinstance(store, SqlStore | DynamoStore):
        assert sum(sent.values()) == 1, sent


async def test_children_and_stable_id_parents_resolve(app: Any, context: TenantContext) -> None:
    agent = await app.agents.create(
        context, {"agent_name": "S", "llm_provider": "openai", "llm_name": "gpt-4o"}
    )
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    loaded = await app.threads.get(context, thread.thread_uuid, include=["agent", "runs"])
    key = (thread.thread_uuid,)
    assert loaded.record == thread
    assert loaded.related["agent"][key] == agent
    assert loaded.related["runs"][key] == [run]
    with pytest.raises(ValidationError) as caught:  # an unknown relation is named
        await app.threads.list(context, include=["nope"])
    assert caught.value.field == "include"


async def test_include_names_are_checked_before_any_read(
    app: Any, store: Store, context: TenantContext
) -> None:
    for service, names in (
        ("wizard_groups", ["wizards", "bogus"]),
        ("wizards", ["wizard_group"]),  # a group lists its wizards; a wizard cannot name it
        ("mcp_servers", ["agents"]),  # agents list their servers; not listable from one
    ):
        with _sent(store) as sent, pytest.raises(ValidationError) as caught:
            await getattr(app, service).list(context, include=names)
        assert caught.value.field == "include"
        assert sum(sent.values()) == 0, sent
