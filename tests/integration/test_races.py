"""Races that once broke a promise, on every adapter with the cache off and on (issue 29):
re-pointing against concurrent activations and new versions (one and two ``Aace`` on one
store), cascades against creates of children and grandchildren, and the error a child
gets when its parent goes while it is created. The interleavings that broke a promise are
driven by hooks, every round; free-running rounds cover the others."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from aace.domain.errors import HasDependents, NotFound
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from tests.integration.races import AGENT, Aaces, Overtaking, Pause, aaces_on, left_under

pytestmark = pytest.mark.anyio

ROUNDS = 20
#: Rounds of creates racing their parent's delete (DynamoDB's deletion-mark window is
#: also driven deterministically in tests/dynamodb/test_marked_parents.py).
KIND_ROUNDS = 6
#: Agents on the snippet: more than one unit of re-pointing would need is not the point.
AGENTS_ON_SNIPPET = 4
#: Generous bound on one round, so a hook that never opens fails instead of hanging.
ROUND_LIMIT = 120


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def aaces(request: pytest.FixtureRequest, store: Store) -> Aaces:
    return aaces_on(store, request.param)


# -- 1. re-pointing against activations and new versions ------------------------------------

#: (first change, second change, how the first re-pointing is held) per round.
PLAN = [
    (first, second, mode)
    for mode in ("before_read", "before_commit", "free")
    for first, second in (
        ("activate", "activate"),
        ("activate", "new_version"),
        ("new_version", "new_version"),
    )
]


async def _snippet_with_agents(app: SimpleNamespace, context: TenantContext) -> str:
    template = await app.prompt_templates.create(
        context,
        {"prompt_type": "system", "prompt_name": "T", "template_context": "{flow_snippet}"},
    )
    first = await app.flow_snippets.create(
        context, {"prompt_uuid": template.prompt_uuid, "flow_name": "F", "flow_context": "v1"}
    )
    version = first.flow_snippet_version_uuid
    for _ in range(AGENTS_ON_SNIPPET):
        await app.agents.create(context, {**AGENT, "flow_snippet_version_uuid": version})
    stable: str = first.flow_snippet_uuid
    for text in ("v2", "v3"):
        await app.flow_snippets.new_version(context, stable, {"flow_context": text})
    return stable


def _change(
    app: SimpleNamespace, context: TenantContext, kind: str, stable: str, version: str
) -> Any:
    if kind == "activate":
        return app.flow_snippets.activate(context, version)
    return app.flow_snippets.new_version(context, stable, {"flow_context": f"from {version}"})


async def _every_agent_on_the_active_version(
    app: SimpleNamespace, context: TenantContext, stable: str
) -> None:
    versions = await app.flow_snippets.versions(context, stable)
    active = [v for v in versions if v.status == "active"]
    assert len(active) == 1, [v.status for v in versions]
    current = active[0].flow_snippet_version_uuid
    assert await app.agents.count(context, statuses=["active"]) == AGENTS_ON_SNIPPET
    on_it = await app.agents.count(context, statuses=["active"], flow_snippet_version_uuid=current)
    assert on_it == AGENTS_ON_SNIPPET, f"{AGENTS_ON_SNIPPET - on_it} agents name another version"


@pytest.mark.parametrize("instances", [1, 2], ids=["one-aace", "two-aace"])
async def test_concurrent_version_changes_leave_every_agent_on_the_active_version(
    aaces: Aaces, context: TenantContext, instances: int
) -> None:
    """Two activations, an activation and a new version, or two new versions of one
    snippet at once, with agents on it: afterwards every agent names the active version.
    The first re-pointing is held until the second has finished (before it reads, or
    after it read and before it writes), which is how agents were left on a version that
    another activation had replaced; one round in three runs free."""
    apps = aaces(instances)
    first_app, second_app = apps[0], apps[-1]
    overtaking = Overtaking(apps)
    stable = await _snippet_with_agents(first_app, context)
    for number in range(ROUNDS):
        first, second, mode = PLAN[number % len(PLAN)]
        if instances == 1 and first == second == "new_version":
            mode = "free"  # one Aace queues new versions of an entity: nothing overtakes
        inactive = [
            v.flow_snippet_version_uuid
            for v in await first_app.flow_snippets.versions(context, stable)
            if v.status == "inactive"
        ]
        overtaking.arm(mode)
        with anyio.fail_after(ROUND_LIMIT):
            await asyncio.gather(
                _change(first_app, context, first, stable, inactive[number % len(inactive)]),
                _change(
                    second_app, context, second, stable, inactive[(number + 1) % len(inactive)]
                ),
            )
        assert overtaking.calls == 2, (number, overtaking.calls)
        await _every_agent_on_the_active_version(first_app, context, stable)
    assert overtaking.held.get("before_read"), overtaking.held  # the hooks did hold
    assert overtaking.held.get("before_commit"), overtaking.held


# -- 2. cascades against creates of children and grandchildren -----------------------------


async def _conversation(app: SimpleNamespace, context: TenantContext) -> tuple[Any, Any, Any]:
    """An agent with a thread, a run and three messages under the run: five records under
    the agent, more than a unit of 6 actions holds beside the agent's delete and counter."""
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    under_run = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
    for text in ("a", "b", "c"):
        await app.messages.create(context, {**under_run, "role": "user", "message": text})
    return agent, thread, run


async def _children_and_grandchildren(
    app: SimpleNamespace, context: TenantContext, thread: Any, run: Any
) -> list[Any]:
    """A run under the thread, a message and a tool call under its run: each lands or is
    refused as ``NotFound`` (its parent already gone)."""
    under_run = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
    results = await asyncio.gather(
        app.runs.create(context, {"thread_uuid": thread.thread_uuid}),
        app.messages.create(context, {**under_run, "role": "user", "message": "late"}),
        app.tool_calls.create(context, {**under_run, "tool_type": "function", "name": "f"}),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, NotFound):
            raise result
    return list(results)


async def test_a_cascade_racing_creates_leaves_nothing_under_a_deleted_parent(
    aaces: Aaces, store: Store, context: TenantContext
) -> None:
    """An agent's last version deleted with ``cascade=True`` while a run is created under
    its thread and a message and a tool call under its run: the cascade deletes them too,
    or they are refused; nothing stays under a deleted parent. Every other round the
    creates land after the cascade read its subtree and before it writes (the interleaving
    that used to orphan them); the others run free. Half the rounds run on units of work
    of 6 actions, so the cascade spreads over several units, deepest first."""
    apps = [*aaces(1), *aaces(1, unit_size=6)]
    pauses = [Pause(app.agents._dependents, "subtree") for app in apps]
    tenant = context.partition_key
    for number in range(ROUNDS):
        app, pause = apps[number // 2 % 2], pauses[number // 2 % 2]
        agent, thread, run = await _conversation(app, context)
        delete = app.agents.delete(context, agent.agent_version_uuid, cascade=True)
        with anyio.fail_after(ROUND_LIMIT):
            if number % 2 == 0:
                pause.arm()
                deleting = asyncio.ensure_future(delete)
                await pause.reached.wait()
                created = await _children_and_grandchildren(app, context, thread, run)
                assert not any(isinstance(r, BaseException) for r in created), created
                pause.release.set()
                await deleting
            else:
                await asyncio.gather(
                    delete, _children_and_grandchildren(app, context, thread, run)
                )
        left = await left_under(store, tenant, agent.agent_uuid, [thread.thread_uuid])
        assert not any(left.values()), (number, left)
    assert [pause.hits for pause in pauses] == [ROUNDS // 4] * 2


# -- 3. the error of a child whose parent goes while it is created -------------------------


async def test_a_child_losing_to_its_parents_delete_is_not_found(
    aaces: Aaces, store: Store, context: TenantContext
) -> None:
    """A thread created while its agent's last version is deleted, a run while its thread
    is, a message while its run is: either the child lands and the delete is
    ``HasDependents``, or the delete lands and the child is ``NotFound`` (never
    ``ConditionFailed``); nothing is left without its parent. A thread created while its
    agent gets a new version lands (under the version active then)."""
    (app,) = aaces(1)
    outcomes: set[tuple[str, bool]] = set()
    for _ in range(KIND_ROUNDS):
        agent, thread, _ = await _conversation(app, context)
        lone = await app.agents.create(context, AGENT)
        bare_thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
        bare_run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
        message = {"thread_uuid": thread.thread_uuid, "run_uuid": bare_run.run_uuid}
        races = [
            (
                "threads",
                app.agents.delete(context, lone.agent_version_uuid),
                app.threads.create(context, {"agent_uuid": lone.agent_uuid}),
            ),
            (
                "runs",
                app.threads.delete(context, bare_thread.thread_uuid),
                app.runs.create(context, {"thread_uuid": bare_thread.thread_uuid}),
            ),
            (
                "messages",
                app.runs.delete(context, thread.thread_uuid, bare_run.run_uuid),
                app.messages.create(context, {**message, "role": "user", "message": "m"}),
            ),
        ]
        with anyio.fail_after(ROUND_LIMIT):
            *results, versioned, threaded = await asyncio.gather(
                *(call for _, delete, create in races for call in (delete, create)),
                app.agents.new_version(context, agent.agent_uuid, {"instructions": "new"}),
                app.threads.create(context, {"agent_uuid": agent.agent_uuid}),
                return_exceptions=True,
            )
        for landed in (versioned, threaded):
            assert not isinstance(landed, BaseException), repr(landed)
        for (child, _, _), deleted, created in zip(
            races, results[::2], results[1::2], strict=True
        ):
            if isinstance(created, BaseException):
                assert type(created) is NotFound, (child, repr(created))
                assert deleted is None, (child, repr(deleted))
            else:
                assert isinstance(deleted, HasDependents), (child, repr(deleted))
            outcomes.add((child, isinstance(created, BaseException)))
        for gone in (agent, lone):
            for version in (await app.agents.list(context, agent_uuid=gone.agent_uuid)).items:
                await app.agents.delete(context, version.agent_version_uuid, cascade=True)
        threads = [thread.thread_uuid, bare_thread.thread_uuid]
        for gone in (agent, lone):
            left = await left_under(store, context.partition_key, gone.agent_uuid, threads)
            assert not any(left.values()), left
    assert {child for child, _ in outcomes} == {"threads", "runs", "messages"}
