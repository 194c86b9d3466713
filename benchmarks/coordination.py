"""The coordination engine's agent graph, per backend: ``session_agents.start`` of a session
with 20 session agents, and a full run of that graph by concurrent completions (each wave
of ready agents completed at once): backend requests and wall time."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from types import SimpleNamespace
from typing import Any

from aace import Aace, TenantContext
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report
from tests.integration.records import graph_session

ROUNDS = 3
#: 20 agents in 5 layers of 4; each agent follows every agent of the layer before.
GRAPH = {
    f"l{layer}a{i}": [f"l{layer - 1}a{j}" for j in range(4)] if layer else []
    for layer in range(5)
    for i in range(4)
}


async def _run_graph(app: Any, ctx: TenantContext, session_uuid: str) -> int:
    """Complete every agent, wave by wave; returns the number of waves."""
    waves = 0
    while ready := await app.session_agents.ready(ctx, session_uuid):
        waves += 1
        await asyncio.gather(
            *(
                app.session_agents.complete(ctx, session_uuid, a.session_agent_uuid, "out")
                for a in ready
            )
        )
    return waves


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        async with Aace.open(backend.settings) as opened:
            app: Any = SimpleNamespace(
                **{
                    n: getattr(opened, n)
                    for n in ("coordinations", "tasks", "sessions", "session_agents")
                }
            )
            starts, runs = [], []
            for _ in range(ROUNDS):
                ctx = TenantContext.from_request("bench", f"g-{uuid.uuid4().hex[:8]}")
                c, s = await graph_session(app, ctx, GRAPH)
                with counting(requests_of(opened.store)) as start_sent:
                    begun = time.perf_counter()
                    agents = await app.session_agents.start(ctx, c, s)
                    starts.append(time.perf_counter() - begun)
                assert len(agents) == len(GRAPH)
                with counting(requests_of(opened.store)) as run_sent:
                    begun = time.perf_counter()
                    waves = await _run_graph(app, ctx, s)
                    runs.append(time.perf_counter() - begun)
                assert waves == 5
            report.add(
                "coordination",
                f"{backend.name}: session_agents.start, 20 agents",
                statistics.median(starts) * 1e3,
                "ms",
                context=f"min {min(starts) * 1e3:.1f} ms; requests: {breakdown(start_sent)}",
            )
            report.add(
                "coordination",
                f"{backend.name}: full run of the 20-agent graph (5 waves of 4 completions)",
                statistics.median(runs) * 1e3,
                "ms",
                context=f"min {min(runs) * 1e3:.1f} ms; requests: {breakdown(run_sent)}",
            )

    await for_each_backend(measure)
