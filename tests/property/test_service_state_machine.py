"""A stateful test of the services: random calls across agents and their versions, flow
snippets, threads, runs and messages under two tenants, against a plain-Python model; after
every step the active-version invariant, the guards (no orphan anywhere) and isolation are
checked. It runs on every adapter (the session's store, fresh tenants per example)."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import attrs
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.errors import HasDependents, NotFound
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.strategies import fewer_examples

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Agent", "llm_provider": "openai", "llm_name": "gpt-4o"}
_examples = itertools.count()


@attrs.define
class Model:
    """What one tenant should have."""

    #: agent_uuid -> {version uuid: flow snippet version it points at}
    agents: dict[str, dict[str, str | None]] = attrs.field(factory=dict)
    #: agent_uuid -> its active version uuid
    active: dict[str, str] = attrs.field(factory=dict)
    #: thread_uuid -> agent_uuid
    threads: dict[str, str] = attrs.field(factory=dict)
    #: (thread_uuid, run_uuid) -> number of messages under it
    runs: dict[tuple[str, str], int] = attrs.field(factory=dict)
    #: flow_snippet_uuid -> its active version uuid
    snippets: dict[str, str] = attrs.field(factory=dict)
    #: agent version uuid -> the description last written to it
    descriptions: dict[str, str | None] = attrs.field(factory=dict)


class ServiceMachine(RuleBasedStateMachine):
    """Draws pick records in the order the machine made them (never by their store-made
    uuids, whose order differs from run to run: a replay must pick the same records)."""

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.app = wire_services(Settings(), store)
        number = next(_examples)
        self.contexts = [
            TenantContext(PartitionKey(f"ep-machine-{number}", tenant), updated_by="m")
            for tenant in ("a", "b")
        ]
        self.models = [Model(), Model()]

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        function = getattr(self.app[service], method)

        async def run() -> Any:
            return await function(*args, **kwargs)

        return anyio.from_thread.run(run)

    # -- rules ---------------------------------------------------------------------------

    @rule(tenant=st.sampled_from([0, 1]), data=st.data())
    def create_agent(self, tenant: int, data: st.DataObject) -> None:
        model = self.models[tenant]
        snippet: str | None = None
        if bool(model.snippets) and data.draw(st.booleans()):
            snippet = model.snippets[data.draw(st.sampled_from(list(model.snippets)))]
        agent = self.call(
            "agents",
            "create",
            self.contexts[tenant],
            {**AGENT, "flow_snippet_version_uuid": snippet},
        )
        model.agents[agent.agent_uuid] = {agent.agent_version_uuid: snippet}
        model.active[agent.agent_uuid] = agent.agent_version_uuid

    @precondition(lambda self: any(m.agents for m in self.models))
    @rule(data=st.data())
    def new_agent_version(self, data: st.DataObject) -> None:
        tenant, model, agent_uuid = self._pick_agent(data)
        version = self.call("agents", "new_version", self.contexts[tenant], agent_uuid, {})
        previous = model.agents[agent_uuid][model.active[agent_uuid]]
        model.agents[agent_uuid][version.agent_version_uuid] = previous
        copied = model.descriptions.get(model.active[agent_uuid])
        model.descriptions[version.agent_version_uuid] = copied  # carried forward
        model.active[agent_uuid] = version.agent_version_uuid

    @precondition(lambda self: any(m.agents for m in self.models))
    @rule(data=st.data())
    def activate_a_version(self, data: st.DataObject) -> None:
        tenant, model, agent_uuid = self._pick_agent(data)
        version = data.draw(st.sampled_from(list(model.agents[agent_uuid])))
        self.call("agents", "activate", self.contexts[tenant], version)
        model.active[agent_uuid] = version

    @precondition(lambda self: any(m.agents for m in self.models))
    @rule(data=st.data(), cascade=st.booleans())
    def delete_a_version(self, data: st.DataObject, cascade: bool) -> None:
        tenant, model, agent_uuid = self._pick_agent(data)
        versions = model.agents[agent_uuid]
        version = data.draw(st.sampled_from(list(versions)))
        last = len(versions) == 1
        threads = [t for t, a in model.threads.items() if a == agent_uuid]
        try:
            self.call("agents", "delete", self.contexts[tenant], version, cascade=cascade)
        except HasDependents:
            assert last
            assert threads
            assert not cascade
            return
        assert not (last and threads and not cascade)
        if last:
            del model.agents[agent_uuid], model.active[agent_uuid]
            for thread in threads:
                self._forget_thread(model, thread)
            return
        del versions[version]
        if model.active[agent_uuid] == version:
            model.active[agent_uuid] = self._active_in_store(tenant, agent_uuid)

    @precondition(lambda self: any(m.agents for m in self.models))
    @rule(data=st.data(), text=st.sampled_from(["x", "y", "z"]))
    def update_while_reading(self, data: st.DataObject, text: str) -> None:
        """A writer and a reader at once: the reader sees the version before or after."""
        tenant, model, agent_uuid = self._pick_agent(data)
        version = data.draw(st.sampled_from(list(model.agents[agent_uuid])))
        context = self.contexts[tenant]
        before = model.descriptions.get(version)

        async def both() -> Any:
            agents = self.app["agents"]
            _, seen = await asyncio.gather(
                agents.update(context, version, {"agent_description": text}),
                agents.get(context, version),
            )
            return seen

        seen = anyio.from_thread.run(both)
        assert seen.agent_description in (before, text)
        model.descriptions[version] = text

    @rule(tenant=st.sampled_from([0, 1]))
    def create_snippet(self, tenant: int) -> None:
        snippet = self.call(
            "flow_snippets",
            "create",
            self.contexts[tenant],
            {"prompt_uuid": "p", "flow_name": "F"},
        )
        self.models[tenant].snippets[snippet.flow_snippet_uuid] = snippet.flow_snippet_version_uuid

    @precondition(lambda self: any(m.snippets for m in self.models))
    @rule(data=st.data())
    def new_snippet_version(self, data: st.DataObject) -> None:
        tenant = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.snippets]))
        model = self.models[tenant]
        stable = data.draw(st.sampled_from(list(model.snippets)))
        old = model.snippets[stable]
        newer = self.call("flow_snippets", "new_version", self.contexts[tenant], stable, {})
        model.snippets[stable] = newer.flow_snippet_version_uuid
        for agent_uuid, active in list(model.active.items()):
            if model.agents[agent_uuid][active] == old:  # re-pointed: a new active version
                moved = self._active_in_store(tenant, agent_uuid)
                model.agents[agent_uuid][moved] = newer.flow_snippet_version_uuid
                model.descriptions[moved] = model.descriptions.get(active)
                model.active[agent_uuid] = moved

    @rule(tenant=st.sampled_from([0, 1]), data=st.data())
    def create_thread(self, tenant: int, data: st.DataObject) -> None:
        model = self.models[tenant]
        others = list(self.models[1 - tenant].agents)
        choices = list(model.agents) + others + ["no-such-agent"]
        agent_uuid = data.draw(st.sampled_from(choices))
        try:
            thread = self.call(
                "threads", "create", self.contexts[tenant], {"agent_uuid": agent_uuid}
            )
        except NotFound:
            assert agent_uuid not in model.agents
            return
        assert agent_uuid in model.agents
        model.threads[thread.thread_uuid] = agent_uuid

    @precondition(lambda self: any(m.threads for m in self.models))
    @rule(data=st.data(), foreign=st.booleans())
    def create_run(self, data: st.DataObject, foreign: bool) -> None:
        owner = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.threads]))
        thread = data.draw(st.sampled_from(list(self.models[owner].threads)))
        caller = 1 - owner if foreign else owner
        try:
            run = self.call("runs", "create", self.contexts[caller], {"thread_uuid": thread})
        except NotFound:
            assert foreign
            return
        assert not foreign
        self.models[owner].runs[(thread, run.run_uuid)] = 0

    @precondition(lambda self: any(m.runs for m in self.models))
    @rule(data=st.data())
    def create_message(self, data: st.DataObject) -> None:
        tenant = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.runs]))
        model = self.models[tenant]
        thread, run = data.draw(st.sampled_from(list(model.runs)))
        self.call(
            "messages",
            "create",
            self.contexts[tenant],
            {"thread_uuid": thread, "run_uuid": run, "role": "user", "message": "hi"},
        )
        model.runs[(thread, run)] += 1

    @precondition(lambda self: any(m.threads for m in self.models))
    @rule(data=st.data(), cascade=st.booleans())
    def delete_thread(self, data: st.DataObject, cascade: bool) -> None:
        tenant = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.threads]))
        model = self.models[tenant]
        thread = data.draw(st.sampled_from(list(model.threads)))
        has_runs = any(t == thread for t, _ in model.runs)
        try:
            self.call("threads", "delete", self.contexts[tenant], thread, cascade=cascade)
        except HasDependents:
            assert has_runs
            assert not cascade
            return
        assert cascade or not has_runs
        self._forget_thread(model, thread)

    @precondition(lambda self: any(m.runs for m in self.models))
    @rule(data=st.data(), cascade=st.booleans())
    def delete_run(self, data: st.DataObject, cascade: bool) -> None:
        tenant = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.runs]))
        model = self.models[tenant]
        key = data.draw(st.sampled_from(list(model.runs)))
        try:
            self.call("runs", "delete", self.contexts[tenant], *key, cascade=cascade)
        except HasDependents:
            assert model.runs[key]
            assert not cascade
            return
        assert cascade or not model.runs[key]
        del model.runs[key]

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def one_active_version_per_agent(self) -> None:
        for context, model in zip(self.contexts, self.models, strict=True):
            assert self.call("agents", "count_active", context) == len(model.agents)
            for agent_uuid, versions in model.agents.items():
                stored = self.call("agents", "versions", context, agent_uuid)
                assert {v.agent_version_uuid for v in stored} == set(versions)
                for version in stored:  # no read returns what a write replaced
                    wanted = model.descriptions.get(version.agent_version_uuid)
                    assert version.agent_description == wanted
                active = [v for v in stored if v.status == "active"]
                assert [v.agent_version_uuid for v in active] == [model.active[agent_uuid]]
                assert active[0].flow_snippet_version_uuid == versions[model.active[agent_uuid]]

    @invariant()
    def no_orphans_and_no_leaks(self) -> None:
        for index, (context, model) in enumerate(zip(self.contexts, self.models, strict=True)):
            other = self.contexts[1 - index]
            for thread, agent_uuid in model.threads.items():
                assert agent_uuid in model.agents
                assert self.call("threads", "find", context, thread) is not None
                assert self.call("threads", "find", other, thread) is None
                runs = sorted(r for t, r in model.runs if t == thread)
                listed = self.call("runs", "list", context, thread_uuid=thread, limit=1000)
                assert sorted(r.run_uuid for r in listed.items) == runs
                assert self.call("runs", "count", other, thread_uuid=thread) == 0
                messages = sum(n for (t, _), n in model.runs.items() if t == thread)
                assert self.call("messages", "count", context, thread_uuid=thread) == messages

    # -- helpers -------------------------------------------------------------------------

    def _pick_agent(self, data: st.DataObject) -> tuple[int, Model, str]:
        tenant = data.draw(st.sampled_from([i for i, m in enumerate(self.models) if m.agents]))
        model = self.models[tenant]
        return tenant, model, data.draw(st.sampled_from(list(model.agents)))

    def _active_in_store(self, tenant: int, agent_uuid: str) -> str:
        active = self.call("agents", "active", self.contexts[tenant], agent_uuid)
        return str(active.agent_version_uuid)

    @staticmethod
    def _forget_thread(model: Model, thread: str) -> None:
        del model.threads[thread]
        for key in [k for k in model.runs if k[0] == thread]:
            del model.runs[key]


def run_machine(store: Any) -> None:
    """The machine over ``store``, in a worker thread of the caller's loop."""

    class MachineOverStore(ServiceMachine):
        def __init__(self) -> None:
            super().__init__(store)

    budget = settings(
        max_examples=fewer_examples(2, at_least=12),
        stateful_step_count=25,
        deadline=None,
    )
    run_state_machine_as_test(MachineOverStore, settings=budget)


async def test_services_agree_with_the_model(store: Store) -> None:
    await anyio.to_thread.run_sync(run_machine, store)
