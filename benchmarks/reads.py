"""Nested reads and the cache, per backend:

- ``agents.list_active(limit=N, include=["flow_snippet", "mcp_servers"])`` with 3 MCP
  servers per agent, N = 50 and 500: requests, and the ratio to the hand-made path (the
  listing, then one ``get_many`` of the snippets and one of the servers, on the
  repositories), interleaved rounds;
- a cached ``get`` vs an uncached one (the in-process cache and Redis, over SQLite);
- the hit rate of a read-heavy mixed workload (90 % reads) with the cache on.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aace import Aace, Settings, TenantContext
from aace.adapters.cache import CachedStore
from aace.domain.entities import AGENTS, FLOW_SNIPPETS, MCP_SERVERS
from aace.domain.query import Query
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timing
from tests.integration.records import agents_with_references

AGENT = {"agent_name": "Agent", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _include(report: Report, backend: Backend, app: Aace, count: int) -> None:
    ctx = TenantContext.from_request("bench", f"i-{uuid.uuid4().hex[:8]}")
    await agents_with_references(app.store, ctx.partition_key, count)
    tenant = ctx.partition_key

    async def include() -> None:
        page = await app.agents.list_active(
            ctx, limit=count, include=["flow_snippet", "mcp_servers"]
        )
        assert len(page.items) == count

    async def by_hand() -> None:
        listing = Query(
            index="updated_at-index", descending=True, filters={"status": "active"}, limit=count
        )
        page = await app.store.repository(AGENTS).query(tenant, listing)
        snippets = [(s,) for a in page.items if (s := a.flow_snippet_version_uuid) is not None]
        servers = [(s,) for a in page.items for s in a.mcp_server_uuids or []]
        await app.store.repository(FLOW_SNIPPETS).get_many(tenant, snippets)
        await app.store.repository(MCP_SERVERS).get_many(tenant, servers)

    with counting(requests_of(app.store)) as sent:
        await include()
    timing = await interleaved_timing(include, by_hand, repeat=3, rounds=7)
    report.add(
        "reads",
        f"{backend.name}: list_active({count}) with flow_snippet + mcp_servers vs by hand",
        timing.ratio,
        "x",
        context=f"{timing.describe()}; requests: {breakdown(sent)}",
    )


async def _cache(report: Report) -> None:
    """Cached vs uncached get, and a 90 % read workload's hit rate, over SQLite."""
    kinds = [("memory", "memory://")]
    redis = os.environ.get("AACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    kinds.append(("redis", redis))
    with tempfile.TemporaryDirectory() as folder:
        for kind, url in kinds:
            base = Settings(storage_url=f"sqlite:///{Path(folder) / f'{kind}.db'}")
            cached = Settings(
                storage_url=base.storage_url,
                cache_url=url,
                cache_namespace=f"bench-{uuid.uuid4().hex[:8]}",
            )
            async with Aace.open(base) as plain, Aace.open(cached) as app:
                ctx = TenantContext.from_request("bench", f"c-{uuid.uuid4().hex[:8]}")
                agents = [await plain.agents.create(ctx, AGENT) for _ in range(50)]
                key = agents[0].agent_version_uuid

                async def warm(app: Aace = app, ctx: TenantContext = ctx, key: str = key) -> Any:
                    return await app.agents.get(ctx, key)

                async def cold(
                    plain: Aace = plain, ctx: TenantContext = ctx, key: str = key
                ) -> Any:
                    return await plain.agents.get(ctx, key)

                await warm()
                timing = await interleaved_timing(warm, cold, repeat=50, rounds=7)
                report.add(
                    "reads",
                    f"cache ({kind}): a cached get vs an uncached one (SQLite)",
                    timing.ratio,
                    "x",
                    context=timing.describe(),
                )
                await _mixed(report, kind, app, ctx, agents)


async def _mixed(
    report: Report, kind: str, app: Aace, ctx: TenantContext, agents: list[Any]
) -> None:
    """2000 operations, 90 % reads (get or list) and 10 % updates, over 50 agents."""
    assert isinstance(app.store, CachedStore)
    gate = app.store.gate
    hits, misses = gate.hits, gate.misses
    chooser = random.Random(7)
    start = time.perf_counter()
    for _ in range(2000):
        agent = chooser.choice(agents)
        roll = chooser.random()
        if roll < 0.1:
            await app.agents.update(ctx, agent.agent_version_uuid, {"instructions": str(roll)})
        elif roll < 0.8:
            await app.agents.get(ctx, agent.agent_version_uuid)
        else:
            await app.agents.list(ctx, limit=10)
    elapsed = time.perf_counter() - start
    served, missed = gate.hits - hits, gate.misses - misses
    report.add(
        "reads",
        f"cache ({kind}): hit rate of a 90 % read workload",
        100 * served / max(1, served + missed),
        "%",
        context=f"{served} hits, {missed} misses, {elapsed:.2f} s for 2000 operations",
    )


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        async with Aace.open(backend.settings) as app:
            for count in (50, 500):
                await _include(report, backend, app, count)

    await for_each_backend(measure)
    await _cache(report)
