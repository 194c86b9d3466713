"""Start-up does I/O only as configured (initialize = create | verify | off), on every adapter."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

from aace import Aace, InvalidCursor, Settings, StorageMisconfigured, TenantContext
from aace.adapters.dynamodb.pynamodb_internals import botocore_client
from aace.application.storage import adapter_for
from tests.backends import ADAPTERS, settings_opener

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}
SCHEMA_CALLS = {"CreateTable", "DescribeTable", "UpdateTable", "UpdateContinuousBackups"}
OLD_SECRET = b"an-older-secret-0123456789abcdef"
NEW_SECRET = b"the-newer-secret-0123456789abcde"


@pytest.fixture(params=ADAPTERS)
async def fresh(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings naming a new namespace of each backend, nothing prepared yet."""
    async with settings_opener(request.param)(request) as settings:
        yield settings


#: Memory keeps nothing between two openings, so there is nothing to prepare or verify.
PERSISTENT = [adapter for adapter in ADAPTERS if adapter != "memory"]


@pytest.fixture(params=PERSISTENT)
async def stored(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Like ``fresh``, for the backends that keep data between openings."""
    async with settings_opener(request.param)(request) as settings:
        yield settings


@pytest.fixture
def context() -> TenantContext:
    return TenantContext.from_request("aws-prod-us-east-1", "acme-corp", updated_by="me")


@pytest.mark.anyio
async def test_the_default_is_the_adapters_own(fresh: Settings, context: TenantContext) -> None:
    mode = adapter_for(fresh.storage_url).initialize
    async with Aace.open(fresh) as app:
        if mode == "create":
            await app.agents.create(context, AGENT)
        else:  # a server store: nothing was created, so the first call says what is missing
            assert mode == "off"
            with pytest.raises(StorageMisconfigured, match="aace init"):
                await app.agents.create(context, AGENT)


@pytest.mark.anyio
async def test_verify_refuses_a_store_that_was_never_prepared(stored: Settings) -> None:
    with pytest.raises(StorageMisconfigured, match="aace init"):
        await Aace.open(attrs.evolve(stored, initialize="verify"))


@pytest.mark.anyio
async def test_create_then_verify_then_off_serve_the_same_records(
    stored: Settings, context: TenantContext
) -> None:
    async with Aace.open(attrs.evolve(stored, initialize="create")) as app:
        agent = await app.agents.create(context, AGENT)
    for mode in ("verify", "off", "create"):  # a second create changes nothing
        async with Aace.open(attrs.evolve(stored, initialize=mode)) as app:
            assert await app.agents.get(context, agent.agent_version_uuid) == agent


@pytest.mark.anyio
async def test_off_does_no_schema_io_at_start_or_afterwards(
    stored: Settings, context: TenantContext
) -> None:
    async with Aace.open(attrs.evolve(stored, initialize="create")):
        pass
    async with Aace.open(attrs.evolve(stored, initialize="off")) as app:
        store: Any = app.store
        if store.adapter == "dynamodb":
            assert botocore_client(store.runner.connection) is None, "a request was sent"
            calls: list[str] = []

            def record(model: Any, params: Any, **_: Any) -> None:
                calls.append(model.name)

            store.runner.client.meta.events.register("before-call.dynamodb", record)
            agent = await app.agents.create(context, AGENT)
            await app.agents.get(context, agent.agent_version_uuid)
            assert calls
            assert not SCHEMA_CALLS & set(calls), calls
        else:
            assert store.database.engine.pool.checkedin() == 0, "a connection was opened"


@pytest.mark.anyio
async def test_off_on_an_unprepared_sqlite_file_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "untouched.db"
    settings = Settings(storage_url=f"sqlite:///{path}", initialize="off")
    async with Aace.open(settings):
        pass
    assert (
        not path.exists()
        or not sqlite3.connect(path).execute("SELECT name FROM sqlite_master").fetchall()
    )


@pytest.mark.anyio
async def test_cursors_survive_a_rotation_of_the_secret(
    stored: Settings, context: TenantContext
) -> None:
    opened: Callable[..., Any] = lambda *secrets: Aace.open(  # noqa: E731
        attrs.evolve(stored, initialize="create", cursor_secret=list(secrets))
    )
    async with opened(OLD_SECRET) as app:
        for _ in range(3):
            await app.agents.create(context, AGENT)
        cursor = (await app.agents.list_active(context, limit=1)).next_cursor
    assert cursor is not None
    async with opened(NEW_SECRET, OLD_SECRET) as app:
        assert len((await app.agents.list_active(context, limit=1, cursor=cursor)).items) == 1
    async with opened(NEW_SECRET) as app:
        with pytest.raises(InvalidCursor):
            await app.agents.list_active(context, limit=1, cursor=cursor)
