"""The facade and its blocking twin: one way in, every service, derived blocking methods."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path

import pytest

from aace import Aace, BlockingAace, NotFound, Settings, TenantContext, ValidationError
from aace.application.blocking_base import DEFAULT
from aace.application.blocking_services import BLOCKING_CLASSES
from aace.application.roster import service_types
from tests.backends import TEST_SECRET

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_url=f"sqlite:///{tmp_path / 'app.db'}", cursor_secret=TEST_SECRET)


@pytest.fixture
def context() -> TenantContext:
    return TenantContext.from_request("aws-prod-us-east-1", "acme-corp", updated_by="me")


def coroutine_methods(service_type: type) -> set[str]:
    return {
        name
        for name, _ in inspect.getmembers(service_type, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }


@pytest.mark.anyio
async def test_the_facade_opens_as_a_context_manager_and_closes_the_store(
    settings: Settings, context: TenantContext
) -> None:
    async with Aace.open(settings) as app:
        agent = await app.agents.create(context, AGENT)
        assert (await app.agents.get(context, agent.agent_version_uuid)) == agent
    assert app._closed


@pytest.mark.anyio
async def test_the_facade_can_be_awaited_and_closed_explicitly(
    settings: Settings, context: TenantContext
) -> None:
    app = await Aace.open(settings)
    try:
        assert repr(app) == "Aace(sqlite)"
        await app.agents.create(context, AGENT)
    finally:
        await app.close()
    await app.close()  # a second close does nothing


@pytest.mark.anyio
async def test_without_settings_the_facade_loads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AACE_STORAGE_URL", "memory://")
    async with Aace.open() as app:
        assert app.store.adapter == "memory"


@pytest.mark.anyio
async def test_every_service_is_an_attribute_named_by_its_plural(settings: Settings) -> None:
    async with Aace.open(settings) as app:
        for name, service_type in service_types().items():
            assert isinstance(getattr(app, name), service_type)
    blocking_app = Aace.open_sync(settings)
    with blocking_app:
        for name in service_types():
            assert isinstance(getattr(blocking_app, name), BLOCKING_CLASSES[name])


@pytest.mark.parametrize("name", list(service_types()))
def test_every_public_coroutine_method_has_a_blocking_counterpart(name: str) -> None:
    service_type, blocking_type = service_types()[name], BLOCKING_CLASSES[name]
    assert coroutine_methods(service_type) == {
        method for method in vars(blocking_type) if not method.startswith("_")
    }
    for method_name in coroutine_methods(service_type):
        method = getattr(blocking_type, method_name)
        original = inspect.signature(getattr(service_type, method_name))
        copied = inspect.signature(method)
        assert not inspect.iscoroutinefunction(method)
        assert [(p.name, p.kind) for p in copied.parameters.values()] == [
            (p.name, p.kind) for p in original.parameters.values()
        ]
        for ours, theirs in zip(
            copied.parameters.values(), original.parameters.values(), strict=True
        ):
            assert ours.default == theirs.default or ours.default is DEFAULT
        assert inspect.getdoc(method) == inspect.getdoc(getattr(service_type, method_name))


def test_the_blocking_twin_gives_the_same_results_and_errors(
    settings: Settings, context: TenantContext
) -> None:
    with Aace.open_sync(settings) as app:
        assert isinstance(app, BlockingAace)
        agent = app.agents.create(context, AGENT)
        assert app.agents.get(context, agent.agent_version_uuid) == agent
        assert [a.agent_uuid for a in app.agents.list_active(context).items] == [agent.agent_uuid]
        with pytest.raises(NotFound):
            app.agents.get(context, "no-such-version")
        with pytest.raises(ValidationError) as caught:
            app.agents.create(context, {**AGENT, "colour": "red"})
        assert caught.value.field == "colour"
        created = app.coordinations.create(context, {"coordination_name": "c", "agents": []})
        assert app.coordinations.get(context, created.coordination_uuid)


def test_many_threads_share_one_blocking_twin(settings: Settings, context: TenantContext) -> None:
    errors: list[BaseException] = []
    with Aace.open_sync(settings) as app:

        def work() -> None:
            try:
                for _ in range(5):
                    app.agents.create(context, AGENT)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert app.agents.count_active(context) == 40


def test_the_blocking_twin_closes_explicitly_and_twice(settings: Settings) -> None:
    app = Aace.open_sync(settings)
    assert repr(app) == "BlockingAace(sqlite)"
    app.close()
    app.close()


def test_a_failed_open_leaves_no_background_loop(tmp_path: Path) -> None:
    before = threading.active_count()
    with pytest.raises(ValidationError):
        Aace.open_sync(Settings(storage_url="nosuch://x"))
    assert threading.active_count() == before


@pytest.mark.anyio
async def test_two_stores_share_no_service(tmp_path: Path) -> None:
    first = Settings(storage_url="memory://", cursor_secret=TEST_SECRET)
    second = Settings(storage_url=f"sqlite:///{tmp_path / 'b.db'}", cursor_secret=TEST_SECRET)
    async with Aace.open(first) as one, Aace.open(second) as two:
        for name in service_types():
            assert getattr(one, name) is not getattr(two, name)
        # a service another calls is its own store's singleton
        assert one.flow_snippets._agents is one.agents
        assert two.flow_snippets._agents is two.agents
        assert one.agents._store is one.store
        assert two.agents._store is two.store
