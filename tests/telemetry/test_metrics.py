"""Counters (cache outcomes, retries, throttles, lost races, idempotent replays) and the
``aace.*`` log records of the same events, on real backends."""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import AsyncIterator

import attrs
import pytest

from aace import Aace, PartitionKey, Settings, StorageUnavailable, TenantContext
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.observing import OBSERVER
from aace.application.services.contention import commit_or_lose, contention_policy, settle
from aace.application.telemetry import ATTRIBUTE, CallObserver, system_name
from aace.domain.entities import schema_named
from aace.domain.ports import PRESENT
from tests.backends import settings_opener
from tests.dynamodb.faults import Faults, SleepRecorder
from tests.telemetry.conftest import Sdk

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


def _context() -> TenantContext:
    return TenantContext(PartitionKey("ep-otel", f"p-{uuid.uuid4().hex[:8]}"), updated_by="me")


def _events(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "aace_event", None) == event]


async def test_an_idempotent_replay_is_counted_and_logged(
    app: Aace, sdk: Sdk, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="aace")
    system = system_name(app.store.adapter)
    before = sdk.count("aace.idempotent_replays", **{"aace.adapter": system})
    context = _context()
    first = await app.agents.create(context, AGENT, idempotency_key="key-1")
    again = await app.agents.create(context, AGENT, idempotency_key="key-1")
    assert again == first
    counted = sdk.count(
        "aace.idempotent_replays", **{"aace.adapter": system, "aace.service": "agents"}
    )
    assert counted - before == 1
    (record,) = _events(caplog, "aace.idempotent_replays")
    assert record.levelno == logging.INFO
    assert record.name == "aace.idempotency"
    assert "key-1" not in record.getMessage()


async def test_a_lost_race_is_counted_retried_and_logged(
    app: Aace, sdk: Sdk, caplog: pytest.LogCaptureFixture
) -> None:
    """The first try deletes a record another writer already deleted (a real refusal of
    the backend): a lost race, retried once, counted on the call that ran it."""
    caplog.set_level(logging.INFO, logger="aace")
    context = _context()
    task = await app.async_tasks.create(context, {"function_name": "f", "arguments": {}})
    await app.async_tasks.delete(context, *schema_named("async_tasks").key_of(task))
    schema = schema_named("async_tasks")
    tries = 0

    async def attempt() -> None:
        nonlocal tries
        tries += 1
        if tries == 1:
            uow = app.store.unit_of_work()
            uow.delete(schema, context.partition_key, schema.key_of(task), condition=PRESENT)
            await commit_or_lose(uow)

    async def no_wait(_: float) -> None:
        """The backoff, without waiting."""

    observer = CallObserver(getattr(app.async_tasks, ATTRIBUTE))
    system = system_name(app.store.adapter)
    lost, retried = (
        sdk.count("aace.lost_races", **{"aace.adapter": system}),
        sdk.count("aace.retries", **{"aace.adapter": system, "error.type": "LostRace"}),
    )
    token = OBSERVER.set(observer)
    try:
        await settle(contention_policy(), attempt, "a task", sleep=no_wait)
    finally:
        OBSERVER.reset(token)
    assert tries == 2
    assert observer.retries == 1
    assert sdk.count("aace.lost_races", **{"aace.adapter": system}) - lost == 1
    after = sdk.count("aace.retries", **{"aace.adapter": system, "error.type": "LostRace"})
    assert after - retried == 1
    assert [r.levelno for r in _events(caplog, "aace.lost_races")] == [logging.INFO]
    assert [r.levelno for r in _events(caplog, "aace.retries")] == [logging.INFO]


async def test_cache_hits_and_misses_are_counted(sdk: Sdk, fresh: Settings) -> None:
    context = _context()
    async with Aace.open(attrs.evolve(fresh, cache_url="memory://")) as app:
        system = system_name(app.store.adapter)
        agent = await app.agents.create(context, AGENT)

        def outcome(name: str) -> int:
            labels = {"aace.adapter": system, "aace.cache.outcome": name}
            return sdk.count("aace.cache.lookups", **labels)

        hits, misses = outcome("hit"), outcome("miss")
        await app.agents.get(context, agent.agent_version_uuid)
        await app.agents.get(context, agent.agent_version_uuid)
        assert outcome("miss") - misses == 1
        assert outcome("hit") - hits == 1


@pytest.fixture
def dead_redis() -> str:
    """A Redis URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


async def test_a_dead_cache_falls_back_to_storage_counted_and_logged_once(
    sdk: Sdk, dead_redis: str, caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest
) -> None:
    caplog.set_level(logging.INFO, logger="aace")
    context = _context()
    async with settings_opener("sqlite")(request) as base:
        settings = attrs.evolve(base, initialize="create", cache_url=dead_redis)
        async with Aace.open(settings) as app:
            agent = await app.agents.create(context, AGENT)
            before = sdk.count("aace.cache.lookups", **{"aace.cache.outcome": "fallback"})
            for _ in range(2):
                found = await app.agents.get(context, agent.agent_version_uuid)
                assert found == agent
            after = sdk.count("aace.cache.lookups", **{"aace.cache.outcome": "fallback"})
    assert after - before >= 2
    (down,) = _events(caplog, "aace.cache.down")
    assert down.levelno == logging.WARNING


@pytest.fixture
async def dynamodb_app(
    sdk: Sdk, request: pytest.FixtureRequest
) -> AsyncIterator[tuple[Aace, Faults]]:
    async with settings_opener("dynamodb")(request) as base:
        options = {**base.store_options, "retry_attempts": "3"}
        settings = attrs.evolve(base, initialize="create", store_options=options)
        async with Aace.open(settings) as app:
            assert isinstance(app.store, DynamoStore)
            runner = app.store.runner
            runner.sleep = SleepRecorder()
            sdk.exporter.clear()
            yield app, Faults(runner.client)


async def test_a_throttled_request_is_a_failed_child_span_a_retry_and_a_warning(
    dynamodb_app: tuple[Aace, Faults], sdk: Sdk, caplog: pytest.LogCaptureFixture
) -> None:
    app, faults = dynamodb_app
    caplog.set_level(logging.INFO, logger="aace")
    context = _context()
    agent = await app.agents.create(context, AGENT)
    throttles = sdk.count("aace.throttles", **{"aace.service": "agents"})
    faults.fail("GetItem", "ThrottlingException", times=1)
    faults.fail("BatchGetItem", "ThrottlingException", times=1)
    faults.fail("Query", "ThrottlingException", times=1)
    sdk.exporter.clear()
    await app.agents.get(context, agent.agent_version_uuid)
    spans = sdk.spans()
    (call,) = [s for s in spans if s.name == "aace.agents.get"]
    assert call.attributes is not None
    assert call.attributes["aace.retries"] == 1
    failed = [s for s in spans if (s.attributes or {}).get("error.type") == "ThrottlingException"]
    assert len(failed) == 1
    assert failed[0].parent is not None
    assert failed[0].parent.span_id == call.context.span_id
    assert call.attributes["aace.requests"] == len(spans) - 1
    assert sdk.count("aace.throttles", **{"aace.service": "agents"}) - throttles == 1
    (warning,) = _events(caplog, "aace.throttles")
    assert warning.levelno == logging.WARNING
    assert warning.name == "aace.adapters.dynamodb.runner"


async def test_an_exhausted_retry_is_a_warning(
    dynamodb_app: tuple[Aace, Faults], caplog: pytest.LogCaptureFixture
) -> None:
    app, faults = dynamodb_app
    caplog.set_level(logging.INFO, logger="aace")
    faults.fail("TransactWriteItems", "ThrottlingException", times=10)
    faults.fail("PutItem", "ThrottlingException", times=10)
    with pytest.raises(StorageUnavailable, match="ThrottlingException"):
        await app.agents.create(_context(), AGENT)
    (gave_up,) = _events(caplog, "aace.retries.exhausted")
    assert gave_up.levelno == logging.WARNING
    assert "3 tries" in gave_up.getMessage()
