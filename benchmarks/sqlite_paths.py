"""SQLite at the physical limit (issue 26): each figure against what a user writes without
aace-core, an open plain ``sqlite3`` connection, in interleaved rounds (min and median
ratios); and the loop while our writes wait on another connection's write lock."""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aace import Aace, Settings, TenantContext
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS
from aace.domain.records import from_known_record, to_record
from benchmarks.backends import SECRET
from benchmarks.report import Report, Timing, interleaved_timing

DATA = {
    "agent_name": "Paths",
    "llm_provider": "provider",
    "llm_name": "model",
    "instructions": "Answer briefly.",
    "configuration": {"temperature": 0.2, "max_tokens": 512},
    "mcp_server_uuids": ["m-1", "m-2"],
}
REPEAT, ROUNDS = 200, 9
SECTION = "sqlite/paths"


def _awaitable(call: Callable[[], Any]) -> Callable[[], Any]:
    async def timed() -> None:
        call()

    return timed


def _sync_timing(subject: Callable[[], Any], baseline: Callable[[], Any], repeat: int) -> Timing:
    """Interleaved rounds of blocking calls, timed on this thread with no loop running (a
    running loop would send the twin through its portal)."""
    timing = Timing([], [])
    for _ in range(ROUNDS):
        for call, into in ((baseline, timing.baseline), (subject, timing.subject)):
            start = time.perf_counter()
            for _ in range(repeat):
                call()
            into.append((time.perf_counter() - start) / repeat)
    return timing


def _add(report: Report, name: str, timing: Timing, target: float) -> None:
    report.add(
        SECTION,
        name,
        timing.ratio,
        "x",
        target=f"<= {target}x",
        met=timing.ratio <= target,
        context=timing.describe("us", 1e6),
    )


async def _async_get(report: Report, app: Aace, ctx: TenantContext, raw: Any) -> None:
    agent = await app.agents.create(ctx, DATA)
    key = agent.agent_version_uuid
    select, _ = raw(str(ctx.partition_key), key)
    timing = await interleaved_timing(
        lambda: app.agents.get(ctx, key), _awaitable(select), repeat=REPEAT, rounds=ROUNDS
    )
    _add(report, "async agents.get vs a plain sqlite3 select", timing, 2.0)
    record = to_record(AGENTS, agent)
    from_known_record(AGENTS, record)
    timing = await interleaved_timing(
        _awaitable(lambda: from_known_record(AGENTS, record)),
        _awaitable(select),
        repeat=REPEAT,
        rounds=ROUNDS,
    )
    _add(report, "decoding one stored agent (validated before) vs that select", timing, 0.3)


async def _loop_lag(report: Report, app: Aace, ctx: TenantContext, path: str) -> None:
    """p99 of 100 concurrent reads while our writes wait on another connection's write
    lock, against the same reads without it; and a 1 ms ticker's lag meanwhile."""
    agent = await app.agents.create(ctx, DATA)

    async def reads() -> list[float]:
        async def one() -> float:
            start = time.perf_counter()
            await app.agents.get(ctx, agent.agent_version_uuid)
            return time.perf_counter() - start

        return list(await asyncio.gather(*(one() for _ in range(100))))

    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            start = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(time.perf_counter() - start - 0.001)

    tick = asyncio.create_task(ticker())
    free = [t for _ in range(5) for t in await reads()]
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    writers = [asyncio.create_task(app.agents.create(ctx, DATA)) for _ in range(4)]
    await asyncio.sleep(0.01)
    locked = [t for _ in range(5) for t in await reads()]
    other.execute("COMMIT")
    other.close()
    await asyncio.gather(*writers)
    stop.set()
    await tick

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98]

    ratio = p99(locked) / p99(free)
    report.add(
        SECTION,
        "p99 of 100 concurrent reads while our writes wait on another's lock vs without",
        ratio,
        "x",
        target="<= 2x",
        met=ratio <= 2,
        context=f"{p99(locked) * 1e3:.2f} ms vs {p99(free) * 1e3:.2f} ms; 1 ms ticker lag "
        f"p99 {p99(lags) * 1e3:.2f} ms over the mixed run",
    )


def _blocking(report: Report, settings: Settings, raw: Any, path: str, table: str) -> None:
    with Aace.open_sync(settings) as app:
        ctx = TenantContext.from_request("bench", "blocking", updated_by="bench")
        agent = app.agents.create(ctx, DATA)
        select, plain = raw(str(ctx.partition_key), agent.agent_version_uuid)
        timing = _sync_timing(
            lambda: app.agents.get(ctx, agent.agent_version_uuid), select, REPEAT
        )
        _add(report, "blocking agents.get vs a plain sqlite3 select", timing, 1.5)
        record = to_record(AGENTS, agent)
        columns = ", ".join(f'"{c}"' for c in record)
        marks = ", ".join("?" for _ in record)
        insert = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'
        encoded = [
            v if isinstance(v, int | float | str | None) else str(v) for v in record.values()
        ]
        at = list(record).index("agent_version_uuid")

        def raw_create() -> None:
            values = list(encoded)
            values[at] = str(uuid.uuid4())
            plain.execute(insert, values)
            plain.commit()

        timing = _sync_timing(lambda: app.agents.create(ctx, DATA), raw_create, 20)
        _add(report, "blocking agents.create vs a plain sqlite3 INSERT + commit", timing, 1.5)


async def run(report: Report) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "paths.db")
        settings = Settings(storage_url=f"sqlite:///{path}", cursor_secret=SECRET)
        async with Aace.open(settings) as app:
            assert isinstance(app.store, SqlStore)
            table = app.store.entity_table(AGENTS).table.name
            plain = sqlite3.connect(path, check_same_thread=False)
            sql = f'SELECT * FROM "{table}" WHERE partition_key = ? AND agent_version_uuid = ?'
            ctx = TenantContext.from_request("bench", "paths", updated_by="bench")

            def raw(tenant: str, key: str) -> tuple[Callable[[], Any], sqlite3.Connection]:
                return (lambda: plain.execute(sql, (tenant, key)).fetchone()), plain

            await _async_get(report, app, ctx, raw)
            await _loop_lag(report, app, ctx, path)
        await asyncio.to_thread(_blocking, report, settings, raw, path, table)
