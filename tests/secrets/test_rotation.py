"""``aace secrets rotate`` and ``status``: with two keys, a run killed by SIGKILL mid-way
and then resumed leaves every record under the new key, clear records included, and their
old bytes nowhere in the raw store; a record updated while rotation runs is never
overwritten."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import anyio
import attrs
import pytest

from aace.application.container import open_store
from aace.application.secrets import SecretBox
from aace.application.secrets_commands import rotation_lines
from aace.application.secrets_rotation import MOVED, reseal, rotate_secrets, secrets_status
from aace.application.settings import Settings
from aace.domain.entities import MCP_SERVERS
from aace.domain.ports import ANY, Store
from aace.domain.secrets import is_envelope, key_id_of
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.backends import ADAPTERS, opener, settings_opener
from tests.backends.postgresql import app_role_settings
from tests.backends.sqlite import sqlite_url
from tests.factories import sample
from tests.secrets.conftest import Token, new_key, server_input, services
from tests.secrets.raw import raw_bytes

pytestmark = pytest.mark.anyio

#: Run in a fresh interpreter: rotate with page size 2, SIGKILL itself after 2 pages.
KILLED_RUN = """
import asyncio, json, os, signal, sys
from aace.application.container import open_store
from aace.application.secrets import SecretBox
from aace.application.secrets_rotation import rotate_secrets
from aace.application.settings import Settings

given = json.loads(sys.argv[1])
settings = Settings(**given)
pages = 0

async def progress(table, counts):
    global pages
    pages += 1
    if pages == 2:
        os.kill(os.getpid(), signal.SIGKILL)

async def main():
    store = await open_store(settings)
    await rotate_secrets(store, SecretBox.of(settings), page_size=2, progress=progress)

asyncio.run(main())
"""


@asynccontextmanager
async def fresh(request: pytest.FixtureRequest, adapter: str) -> AsyncIterator[Settings]:
    """Settings on a new namespace, prepared; on PostgreSQL as the application role."""
    if adapter == "postgresql":
        async with app_role_settings(request) as settings:
            yield attrs.evolve(settings, initialize="verify")
        return
    async with settings_opener(adapter)(request) as settings:
        yield attrs.evolve(settings, initialize="create")


def _key_id(key: str) -> str:
    return key_id_of(base64.urlsafe_b64decode(key))


async def _seed(store: Store, old: str, tenant: PartitionKey) -> dict[str, Token]:
    """Seven servers: four under ``old``, three in clear (written before keys)."""
    context = TenantContext(tenant, updated_by="seed")
    tokens: dict[str, Token] = {}
    app = services(store, old)
    for n in range(4):
        token = Token()
        view = await app.mcp_servers.create(context, server_input(token, f"sealed-{n}"))
        tokens[view.mcp_server_uuid] = token
    for _ in range(3):
        token = Token()
        clear = sample(MCP_SERVERS, tenant, headers=token.headers)
        await store.repository(MCP_SERVERS).put(clear)
        tokens[clear.mcp_server_uuid] = token
    return tokens


@pytest.mark.parametrize("adapter", ["sqlite", "postgresql", "dynamodb"])
async def test_a_rotation_killed_mid_run_then_resumed_leaves_every_record_under_the_new_key(
    adapter: str, request: pytest.FixtureRequest, tenant: PartitionKey
) -> None:
    old, new = new_key(), new_key()
    async with fresh(request, adapter) as settings:
        store = await open_store(settings)
        try:
            tokens = await _seed(store, old, tenant)
            assert (await secrets_status(store))["mcp_servers"] == {_key_id(old): 4, "clear": 3}
            given = {
                "storage_url": settings.storage_url,
                "store_options": dict(settings.store_options),
                "cursor_secret": [s.decode() for s in settings.cursor_secret],
                "secret_keys": [new, old],
                "initialize": "off",
            }
            killed = subprocess.run(  # noqa: ASYNC221 (the store waits meanwhile)
                [sys.executable, "-c", KILLED_RUN, json.dumps(given)],
                capture_output=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            )
            assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
            midway = (await secrets_status(store))["mcp_servers"]
            assert midway.get(_key_id(new)) == 4  # two pages of two were sealed, then killed
            box = SecretBox.of(Settings(secret_keys=[new, old]))
            done = await rotate_secrets(store, box, page_size=2)
            assert done.tables["mcp_servers"]["sealed"] == 7
            assert (await secrets_status(store))["mcp_servers"] == {_key_id(new): 7}
            again = await rotate_secrets(store, box, page_size=2)  # finished: a no-op
            assert again.tables == done.tables
            context = TenantContext(tenant)
            only_new = services(store, new)
            for uuid, token in tokens.items():
                assert await only_new.mcp_servers.credentials(context, uuid) == token.headers
            held = raw_bytes(store, request)
            assert next(iter(tokens)).encode() in held
            assert not [t for t in tokens.values() if t.in_bytes(held)]
        finally:
            await store.close()


async def test_a_rotation_stopped_in_process_resumes_on_memory(
    request: pytest.FixtureRequest, tenant: PartitionKey
) -> None:
    old, new = new_key(), new_key()
    box = SecretBox.of(Settings(secret_keys=[new, old]))

    class Stop(Exception):
        pass

    async def stop(table: str, counts: dict[str, int]) -> None:
        raise Stop

    async with opener("memory")(request) as store:
        await _seed(store, old, tenant)
        with pytest.raises(Stop):
            await rotate_secrets(store, box, page_size=2, progress=stop)
        assert (await secrets_status(store))["mcp_servers"][_key_id(new)] == 2
        finished = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
        done = await rotate_secrets(store, box, page_size=2, clock=lambda: finished)
        assert done.finished_at is None
        assert done.complete
        assert (await secrets_status(store))["mcp_servers"] == {_key_id(new): 7}
        again = await rotate_secrets(store, box, page_size=2)
        assert again.finished_at == finished.isoformat()
        assert again.tables == done.tables
        assert again.elsewhere == {}


async def test_the_cli_rotates_counts_and_says_when_the_job_had_finished(
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The commands run on a thread of their own (they run their own event loop)."""
    from aace.application.cli import main

    old, new = new_key(), new_key()
    url = sqlite_url(request)
    tenant = PartitionKey("ep", "cli")
    store = await open_store(Settings(storage_url=url, initialize="create"))
    try:
        await _seed(store, old, tenant)
    finally:
        await store.close()

    async def run(*argv: str) -> str:
        await anyio.to_thread.run_sync(main, ["secrets", *argv, "--storage", url])
        return capsys.readouterr().out

    monkeypatch.setenv("AACE_SECRET_KEYS", f"{new},{old}")
    assert f"mcp_servers: clear 3, {_key_id(old)} 4" in await run("status")
    shown = await run("rotate")
    assert (
        f"mcp_servers: sealed 7, already 0, changed 0, gone 0, unreadable 0 "
        f"(now under {_key_id(new)})"
    ) in shown
    assert "finished earlier" not in shown
    assert "VACUUM" in shown
    assert f"mcp_servers: {_key_id(new)} 7" in await run("status")
    again = await run("rotate")
    assert f"rotation under {_key_id(new)} finished earlier at " in again
    assert "nothing to do" in again
    assert "--restart" in again
    assert f"status finds every secret under {_key_id(new)}" in again
    store = await open_store(Settings(storage_url=url))
    try:  # a process without keys writes a server meanwhile
        await store.repository(MCP_SERVERS).put(sample(MCP_SERVERS, tenant, headers={"A": "b"}))
    finally:
        await store.close()
    with pytest.raises(SystemExit) as exited:
        await run("rotate")
    assert exited.value.code == 1
    told = capsys.readouterr().out
    assert "finished earlier" in told
    assert f"status finds secrets not under {_key_id(new)}" in told
    assert "mcp_servers: clear 1" in told
    assert "sealed 1, already 7" in await run("rotate", "--restart")
    assert f"mcp_servers: {_key_id(new)} 8" in await run("status")


@pytest.mark.parametrize("adapter", ADAPTERS)
async def test_a_record_no_key_opens_is_counted_unreadable_and_the_run_carries_on(
    adapter: str, request: pytest.FixtureRequest, tenant: PartitionKey
) -> None:
    """On a store of its own: rotation reads every tenant's records."""
    async with opener(adapter)(request) as store:
        await _rotate_past_unreadable_records(store, tenant)


async def _rotate_past_unreadable_records(store: Store, tenant: PartitionKey) -> None:
    old, new, lost = new_key(), new_key(), new_key()
    context = TenantContext(tenant)
    await _seed(store, old, tenant)
    tokens = [Token(), Token()]
    for token in tokens:  # sealed under a key nobody has any more
        await services(store, lost).mcp_servers.create(context, server_input(token))
    repo = store.repository(MCP_SERVERS)
    app = services(store, old)
    source = await app.mcp_servers.create(context, server_input(Token(), "source"))
    target = await app.mcp_servers.create(context, server_input(Token(), "target"))
    stolen = (await repo.get(tenant, (source.mcp_server_uuid,))).headers
    victim = await repo.get(tenant, (target.mcp_server_uuid,))
    await repo.put(attrs.evolve(victim, headers=stolen), condition=ANY)
    box = SecretBox.of(Settings(secret_keys=[new, old]))
    done = await rotate_secrets(store, box, page_size=3)
    assert done.tables["mcp_servers"]["sealed"] == 8
    assert done.tables["mcp_servers"]["unreadable"] == 3
    assert done.unreadable == {_key_id(lost): 2, MOVED: 1}
    assert not done.complete
    lines = "\n".join(rotation_lines(done))
    assert f"{_key_id(lost)} 2" in lines
    assert not any(t.value in lines for t in tokens)
    status = (await secrets_status(store))["mcp_servers"]
    assert status == {_key_id(new): 8, _key_id(lost): 2, _key_id(old): 1}


async def test_rotation_never_overwrites_a_concurrent_update(
    store: Store, tenant: PartitionKey
) -> None:
    """A concurrent update is told by its later ``updated_at`` (stamped here, no clock) or,
    when it kept the same ``updated_at``, by the secret it wrote."""
    old, new = new_key(), new_key()
    context = TenantContext(tenant)
    view = await services(store, old).mcp_servers.create(context, server_input(Token()))
    repo = store.repository(MCP_SERVERS)
    box = SecretBox.of(Settings(secret_keys=[new, old]))
    stale = await repo.get(tenant, (view.mcp_server_uuid,))
    for later in (timedelta(seconds=1), timedelta(0)):
        newer = Token()
        update = attrs.evolve(stale, headers=newer.headers, updated_at=stale.updated_at + later)
        await repo.put(await box.seal(MCP_SERVERS, update), condition=ANY)
        assert await reseal(repo, box, stale) == ("changed", None)
        creds = await services(store, new).mcp_servers.credentials(context, view.mcp_server_uuid)
        assert creds == newer.headers
        stale = attrs.evolve(stale, updated_at=stale.updated_at + later)
    stored = await repo.get(tenant, (view.mcp_server_uuid,))
    assert is_envelope(stored.headers)
    assert await reseal(repo, box, stored) == ("already", None)
