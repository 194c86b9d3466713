"""Secrets at rest and public ids, per backend (SQLite, PostgreSQL when configured, DynamoDB
Local): ``mcp_servers.create`` and ``credentials()`` with a key against without one;
``agents.resolve_public`` against ``agents.active``; ``aace secrets rotate`` throughput.
Subject and baseline run in interleaved rounds on the same store, so machine noise hits both
alike; the figures are median ratios with the times behind them."""

from __future__ import annotations

import base64
import os
import time
from typing import Any

import attrs

from aace import Aace, TenantContext
from aace.application.secrets import SecretBox
from aace.application.secrets_rotation import rotate_secrets
from benchmarks.backends import Backend, for_each_backend
from benchmarks.report import Report, interleaved_timing

REPEAT = 30
ROUNDS = 7
ROTATED = 300  # records a rotation re-seals
SERVER = {"mcp_label": "crm", "mcp_server_url": "https://mcp.example/sse"}
AGENT = {"agent_name": "helper", "llm_provider": "openai", "llm_name": "gpt-4o"}


def _key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        key = _key()
        keyed = attrs.evolve(backend.settings, secret_keys=[key], initialize="create")
        async with (
            Aace.open(keyed) as sealed,
            Aace.open(attrs.evolve(backend.settings, initialize="create")) as clear,
        ):
            await _measure(report, backend.name, sealed, clear, key)

    await for_each_backend(measure)


async def _measure(report: Report, name: str, sealed: Aace, clear: Aace, key: str) -> None:
    ctx = TenantContext.from_request("bench", f"secrets-{os.urandom(4).hex()}")
    headers = {"Authorization": "Bearer " + os.urandom(24).hex()}
    data = {**SERVER, "headers": headers}

    async def create_sealed() -> Any:
        return await sealed.mcp_servers.create(ctx, data)

    async def create_clear() -> Any:
        return await clear.mcp_servers.create(ctx, data)

    timing = await interleaved_timing(create_sealed, create_clear, repeat=REPEAT, rounds=ROUNDS)
    report.add("secrets", f"{name}: mcp_servers.create, key vs none", timing.ratio, "x",
               context=timing.describe())  # fmt: skip
    one = await create_sealed()
    other = await create_clear()

    async def read_sealed() -> Any:
        return await sealed.mcp_servers.credentials(ctx, one.mcp_server_uuid)

    async def read_clear() -> Any:
        return await clear.mcp_servers.credentials(ctx, other.mcp_server_uuid)

    timing = await interleaved_timing(read_sealed, read_clear, repeat=REPEAT, rounds=ROUNDS)
    report.add("secrets", f"{name}: credentials(), key vs none", timing.ratio, "x",
               context=timing.describe())  # fmt: skip
    agent = await clear.agents.create(ctx, AGENT)
    public = await clear.agents.issue_public_id(ctx, agent.agent_uuid)

    async def resolve() -> Any:
        return await clear.agents.resolve_public(public)

    async def active() -> Any:
        return await clear.agents.active(ctx, agent.agent_uuid)

    timing = await interleaved_timing(resolve, active, repeat=REPEAT, rounds=ROUNDS)
    report.add("secrets", f"{name}: resolve_public vs agents.active", timing.ratio, "x",
               context=timing.describe())  # fmt: skip
    for _ in range(ROTATED):
        await clear.mcp_servers.create(ctx, data)
    box = SecretBox.of(attrs.evolve(sealed.settings, secret_keys=[_key(), key]))
    started = time.perf_counter()
    done = await rotate_secrets(sealed.store, box, page_size=100)
    seconds = time.perf_counter() - started
    count = sum(done.tables["mcp_servers"].values())
    report.add(
        "secrets",
        f"{name}: secrets rotate",
        count / seconds,
        "records/s",
        context=f"{count} records ({done.tables['mcp_servers']}) in {seconds:.2f} s",
    )
