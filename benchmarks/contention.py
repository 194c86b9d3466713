"""Contention, per backend: 20 and 50 concurrent ``new_version`` calls on one agent, through
one service (its calls queue up) and spread over four service instances (they race, as four
processes would, and the losers retry). Reports what happens (how many succeed, which errors
the others raise), the calls' latency and the wall time; nothing here assumes that every
call succeeds."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Awaitable

from aace import Aace, TenantContext
from aace.application.services import AgentService
from aace.application.settings import Settings
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report

CALLS = (20, 50)
DATA = {"agent_name": "Contended", "llm_provider": "provider", "llm_name": "model"}


async def _timed(call: Awaitable[object]) -> tuple[float, str]:
    """(seconds, ``"ok"`` or the error's type name) of awaiting ``call``."""
    start = time.perf_counter()
    try:
        await call
    except Exception as exc:  # reported, whatever it is
        return time.perf_counter() - start, type(exc).__name__
    return time.perf_counter() - start, "ok"


async def _burst(report: Report, section: str, app: Aace, calls: int, instances: int) -> None:
    context = TenantContext.from_request(
        "bench", f"contention-{calls}-{instances}", updated_by="bench"
    )
    services = [app.agents] + [AgentService(app.store, Settings()) for _ in range(instances - 1)]
    agent = await app.agents.create(context, DATA)
    with counting(requests_of(app.store)) as sent:
        start = time.perf_counter()
        results = await asyncio.gather(
            *(
                _timed(
                    services[number % instances].new_version(
                        context, agent.agent_uuid, {"agent_description": f"call {number}"}
                    )
                )
                for number in range(calls)
            )
        )
        wall = time.perf_counter() - start
    outcomes = Counter(outcome for _, outcome in results)
    succeeded = outcomes.pop("ok", 0)
    latencies = sorted(seconds for seconds, _ in results)
    p50 = statistics.median(latencies)
    p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
    versions = await app.agents.versions(context, agent.agent_uuid)
    active = sum(v.status == "active" for v in versions)
    failures = ", ".join(f"{name} {count}" for name, count in outcomes.most_common())
    what = f"{calls} concurrent new_version over {instances} service(s)"
    report.add(
        section,
        f"{what}: succeeded",
        succeeded,
        f"of {calls}",
        context=(
            f"failed: {failures or 'none'}; {len(versions)} versions, {active} active after; "
            f"p50 {p50:.3f} s, p95 {p95:.3f} s, wall {wall:.2f} s"
        ),
    )
    report.add(section, f"{what}: p50 latency", p50, "s")
    report.add(section, f"{what}: p95 latency", p95, "s")
    report.add(
        section,
        f"{what}: wall time",
        wall,
        "s",
        context=f"sent {sum(sent.values())}: {breakdown(sent)}",
    )


async def _measure(report: Report, backend: Backend) -> None:
    async with Aace.open(backend.settings) as app:
        for calls in CALLS:
            for instances in (1, 4):
                await _burst(report, f"contention/{backend.name}", app, calls, instances)


async def run(report: Report) -> None:
    await for_each_backend(lambda backend: _measure(report, backend))
