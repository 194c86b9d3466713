"""The blocking twin on every adapter: the same results and errors as the async services, from
one thread, from a thread of a running async application, and from many threads at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.from_thread
import anyio.to_thread
import attrs
import pytest

from aace import Aace, Settings, TenantContext
from aace.adapters.scheduling import SOLE_BLOCKING_CALLER
from aace.application.blocking_base import Traffic
from tests.backends import ADAPTERS, settings_opener

pytestmark = pytest.mark.anyio

#: Seconds a thread may take to reach a point the test waits for: a guard against a hang
#: only, never a timing assertion.
HANG_GUARD = 60

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


@pytest.fixture(params=ADAPTERS)
async def settings(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Settings]:
    async with settings_opener(request.param)(request) as fresh:
        yield attrs.evolve(fresh, initialize="create", max_agents_per_tenant=2)


def scenario(agents: Any, call: Callable[..., Any]) -> list[Any]:
    """One story told through ``call(method, *args)``: outcomes without the generated ids."""
    ctx = TenantContext.from_request("ep", "scenario", updated_by="me")
    outcomes: list[Any] = []

    def attempt(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            result = call(method, *args, **kwargs)
        except Exception as error:  # the outcome is compared, whatever it is
            field = getattr(error, "field", None)
            outcomes.append((type(error).__name__, field))
            return None
        outcomes.append(_shape(result))
        return result

    first = attempt(agents.create, ctx, AGENT, idempotency_key="k1")
    attempt(agents.create, ctx, AGENT, idempotency_key="k1")  # the first result again
    attempt(agents.create, ctx, {**AGENT, "agent_name": "B"}, idempotency_key="k1")
    attempt(agents.create, ctx, AGENT)
    attempt(agents.create, ctx, AGENT)  # over the limit of 2
    attempt(agents.new_version, ctx, first.agent_uuid, {"instructions": "v2"})
    attempt(agents.new_version, ctx, first.agent_uuid, ["not", "a", "mapping"])
    attempt(agents.get, ctx, "no-such-version")
    attempt(agents.get, ctx, " bad id")
    attempt(agents.versions, ctx, first.agent_uuid)
    attempt(agents.list_active, ctx, limit=1)
    attempt(agents.count, ctx)
    return outcomes


def _shape(result: Any) -> Any:
    if isinstance(result, list):  # versions come in an order of ids, which differ per run
        return sorted((_shape(item) for item in result), key=repr)
    if hasattr(result, "items") and hasattr(result, "next_cursor"):
        return ("page", _shape(list(result.items)), result.next_cursor is not None)
    if attrs.has(type(result)):
        return (type(result).__name__, getattr(result, "status", None))
    return result


async def test_the_blocking_twin_gives_the_results_and_errors_of_the_async_services(
    settings: Settings,
) -> None:
    async with Aace.open(settings) as app:

        async def awaited(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return await method(*args, **kwargs)

        # The async story runs in a worker thread so that both stories share one function.
        def run_async(method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            return anyio.from_thread.run(lambda: awaited(method, *args, **kwargs))

        outcomes = await anyio.to_thread.run_sync(lambda: scenario(app.agents, run_async))
    blocking_settings = _fresh_namespace(settings)

    def run_blocking() -> list[Any]:
        with Aace.open_sync(blocking_settings) as twin:
            return scenario(twin.agents, lambda method, *a, **k: method(*a, **k))

    assert await anyio.to_thread.run_sync(run_blocking) == outcomes
    assert ("IdempotencyConflict", None) in outcomes
    assert ("LimitExceeded", None) in outcomes
    assert ("ValidationError", "changes") in outcomes
    assert ("NotFound", None) in outcomes
    assert ("ValidationError", "agent_version_uuid") in outcomes


def _fresh_namespace(settings: Settings) -> Settings:
    """The same backend, still empty: another file (SQLite), other table names (PostgreSQL,
    DynamoDB), or simply a new in-process store (memory)."""
    url = settings.storage_url
    if url.startswith("memory"):
        return settings
    if url.startswith("sqlite:///"):
        return attrs.evolve(settings, storage_url=url.replace(".db", "-twin.db"))
    suffix = "twin-"
    return attrs.evolve(
        settings,
        agent_table_prefix=suffix + settings.agent_table_prefix,
        coordination_table_prefix=suffix + settings.coordination_table_prefix,
    )


def test_a_blocking_call_from_a_thread_of_a_running_async_application(tmp_path: Any) -> None:
    settings = Settings(storage_url=f"sqlite:///{tmp_path / 'app.db'}")
    ctx = TenantContext.from_request("ep", "inside-async")

    async def application() -> str:
        def handler() -> str:  # a synchronous handler the async app runs in a thread
            with Aace.open_sync(settings) as twin:
                return twin.agents.create(ctx, AGENT).agent_name

        return await asyncio.to_thread(handler)

    assert asyncio.run(application()) == "Support"


async def test_many_threads_share_one_blocking_aace_without_losing_or_mixing_anything(
    settings: Settings,
) -> None:
    """Eight threads create at once through one twin (on DynamoDB their requests then go
    through the worker pool, not inline); each tenant sees exactly its own agents."""
    threads, each = 8, 10

    def body() -> None:
        with Aace.open_sync(attrs.evolve(settings, max_agents_per_tenant=None)) as twin:

            def work(number: int) -> list[str]:
                ctx = TenantContext.from_request("ep", f"thread-{number}")
                return [twin.agents.create(ctx, AGENT).agent_uuid for _ in range(each)]

            with ThreadPoolExecutor(threads) as pool:
                made = list(pool.map(work, range(threads)))
            for number, uuids in enumerate(made):
                ctx = TenantContext.from_request("ep", f"thread-{number}")
                assert twin.agents.count_active(ctx) == each
                listed = twin.agents.list_active(ctx, limit=100).items
                assert sorted(a.agent_uuid for a in listed) == sorted(uuids)
                assert {a.partition_key for a in listed} == {ctx.partition_key}

    await anyio.to_thread.run_sync(body)


def test_only_a_lone_blocking_call_is_marked_sole() -> None:
    """The mark an adapter reads to run its driver inline: set for a lone blocking call,
    never for async callers, and not while another thread's call is under way."""
    seen: list[bool] = []
    started, release = threading.Event(), threading.Event()

    async def probe() -> None:
        seen.append(SOLE_BLOCKING_CALLER.get())

    async def hold() -> None:
        seen.append(SOLE_BLOCKING_CALLER.get())
        started.set()
        await anyio.to_thread.run_sync(release.wait)

    assert SOLE_BLOCKING_CALLER.get() is False
    with anyio.from_thread.start_blocking_portal() as portal:
        traffic = Traffic(portal)  # as the twin routes calls on a store off the caller thread
        traffic.call(probe)
        holder = threading.Thread(target=traffic.call, args=(hold,))
        holder.start()
        try:
            assert started.wait(HANG_GUARD)
            traffic.call(probe)  # while the holder's call is under way
        finally:
            release.set()
            holder.join(HANG_GUARD)
        assert not holder.is_alive()
    assert seen == [True, True, False]
