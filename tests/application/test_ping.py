"""Health: ``await app.ping()`` reports the store (reachable and initialised) and the cache
with timings on every adapter, and reports an unreachable backend instead of raising."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import attrs
import pytest

from aace import Aace, Settings
from aace.adapters.health import timed_check
from aace.domain.errors import StorageUnavailable
from aace.domain.ports import CheckResult, Health
from tests.backends import ADAPTERS, TEST_SECRET, settings_opener, unavailable

pytestmark = pytest.mark.anyio

#: The backends that keep data between openings (memory is always initialised).
PERSISTENT = [adapter for adapter in ADAPTERS if adapter != "memory"]


@pytest.fixture(params=ADAPTERS)
async def fresh(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings naming a new namespace of each backend, nothing prepared yet."""
    async with settings_opener(request.param)(request) as settings:
        yield settings


@pytest.fixture(params=PERSISTENT)
async def unprepared(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    async with settings_opener(request.param)(request) as settings:
        yield settings


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _passed(check: CheckResult | None) -> None:
    assert check is not None
    assert check.ok, check.detail
    assert check.seconds >= 0


async def test_a_prepared_store_is_healthy_on_every_adapter(fresh: Settings) -> None:
    async with Aace.open(attrs.evolve(fresh, initialize="create")) as app:
        health = await app.ping()
    assert health.ok
    _passed(health.store)
    assert health.cache is None


async def test_an_unprepared_store_is_reported_not_initialised(unprepared: Settings) -> None:
    async with Aace.open(attrs.evolve(unprepared, initialize="off")) as app:
        health = await app.ping()
    assert not health.ok
    assert not health.store.ok
    assert "aace init" in health.store.detail


async def test_pinging_a_sqlite_file_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    settings = Settings(storage_url=f"sqlite:///{path}", initialize="off")
    async with Aace.open(settings) as app:
        health = await app.ping()
    assert not health.ok
    assert "does not exist" in health.store.detail
    assert not path.exists()


async def test_postgresql_on_a_closed_port_is_reported_not_raised(closed_port: int) -> None:
    settings = Settings(
        storage_url=f"postgresql+asyncpg://aace:secret-password@127.0.0.1:{closed_port}/db",
        cursor_secret=TEST_SECRET,
        initialize="off",
    )
    async with Aace.open(settings) as app:
        health = await app.ping()
    assert not health.ok
    assert not health.store.ok
    assert f"127.0.0.1:{closed_port}" in health.store.detail
    assert "secret-password" not in health.store.detail


async def test_dynamodb_on_a_closed_port_is_reported_not_raised(closed_port: int) -> None:
    settings = Settings(
        storage_url=f"dynamodb://127.0.0.1:{closed_port}?region=us-east-1",
        cursor_secret=TEST_SECRET,
        initialize="off",
        store_options={"aws_access_key_id": "test", "aws_secret_access_key": "test"},
    )
    async with Aace.open(settings) as app:
        health = await app.ping()
    assert not health.ok
    assert not health.store.ok
    assert str(closed_port) in health.store.detail


async def test_an_in_process_cache_is_pinged_with_the_store() -> None:
    settings = Settings(storage_url="memory://", cache_url="memory://")
    async with Aace.open(settings) as app:
        health = await app.ping()
    assert health.ok
    _passed(health.store)
    _passed(health.cache)


async def test_a_reachable_redis_cache_is_healthy() -> None:
    url = os.environ.get("AACE_TEST_REDIS_URL", "")
    if not url:
        unavailable("AACE_TEST_REDIS_URL is not set: Redis tests need a server")
    async with Aace.open(Settings(storage_url="memory://", cache_url=url)) as app:
        health = await app.ping()
    assert health.ok
    _passed(health.cache)


async def test_an_unreachable_redis_cache_is_reported_and_the_store_still_checked(
    closed_port: int,
) -> None:
    settings = Settings(storage_url="memory://", cache_url=f"redis://127.0.0.1:{closed_port}/0")
    async with Aace.open(settings) as app:
        health = await app.ping()
    assert not health.ok
    _passed(health.store)
    assert health.cache is not None
    assert not health.cache.ok
    assert str(closed_port) in health.cache.detail


def test_the_blocking_twin_pings_through_its_loop(tmp_path: Path) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path / 'app.db'}", cursor_secret=TEST_SECRET)
    with Aace.open_sync(settings) as app:
        health = app.ping()
    assert isinstance(health, Health)
    assert health.ok
    assert "revision" in health.store.detail


async def test_a_check_is_timed_by_its_clock_and_reports_the_error() -> None:
    readings = iter([10.0, 10.25])

    async def refused() -> str:
        raise StorageUnavailable("cannot reach the store at example:1")

    result = await timed_check(refused, clock=lambda: next(readings))
    assert result == CheckResult(
        ok=False, seconds=0.25, detail="cannot reach the store at example:1"
    )


async def test_a_check_that_never_answers_is_cut_off() -> None:
    never = anyio.Event()

    async def hangs() -> str:
        await never.wait()
        return "unreachable"

    result = await timed_check(hangs, within=0.01)
    assert not result.ok
    assert result.detail == "no answer within 0.01 s"


def test_health_is_ok_only_when_every_check_passed() -> None:
    good, bad = CheckResult(True, 0.0, "ok"), CheckResult(False, 0.0, "down")
    assert Health(store=good).ok
    assert Health(store=good, cache=good).ok
    assert not Health(store=good, cache=bad).ok
    assert not Health(store=bad).ok
