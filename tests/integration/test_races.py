"""Races that once broke a promise, on every adapter with the cache off and on (issue 29):
re-pointing against concurrent activations and new versions (one and two ``Aace`` on one
store), cascades against creates of children and grandchildren, and the error a child
gets when its parent goes while it is created. The interleavings that broke a promise are
driven by hooks, every round; free-running rounds cover the others."""

from __future__ import annotations

import asyncio
import itertools
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from aace.domain.errors import HasDependents, NotFound, ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from aace.domain.unit_of_work import DependentsArrived
from tests.integration.races import (
    AGENT,
    Aaces,
    Hold,
    Overtaking,
    Pause,
    aaces_on,
    left_under,
)

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

#: Actions per unit of work of the re-pointing tests: two agents a page, so the agents on the
#: snippet take two pages and a version change can come between them.
REPOINT_UNIT = 5

#: (first change, second change, how the first re-pointing is held) per round; a
#: ``rollback`` activates the version that was active before the first change.
PLAN = [
    (first, second, mode)
    for mode in ("before_read", "before_commit", "between_pages", "free")
    for first, second in (
        ("activate", "activate"),
        ("activate", "rollback"),
        ("activate", "new_version"),
        ("new_version", "new_version"),
    )
]


async def _snippet_with_agents(
    app: SimpleNamespace, context: TenantContext, *, agents_last: bool = False
) -> tuple[str, list[str]]:
    """A snippet of three versions (the first active) with the agents on it, and its
    versions; ``agents_last``: the agents are created once the versions exist, so no agent
    ever named the later two."""
    template = await app.prompt_templates.create(
        context,
        {"prompt_type": "system", "prompt_name": "T", "template_context": "{flow_snippet}"},
    )
    first = await app.flow_snippets.create(
        context, {"prompt_uuid": template.prompt_uuid, "flow_name": "F", "flow_context": "v1"}
    )
    version = first.flow_snippet_version_uuid
    stable: str = first.flow_snippet_uuid
    if not agents_last:
        for _ in range(AGENTS_ON_SNIPPET):
            await app.agents.create(context, {**AGENT, "flow_snippet_version_uuid": version})
    later = [
        (await app.flow_snippets.new_version(context, stable, {"flow_context": text}))
        for text in ("v2", "v3")
    ]
    if agents_last:
        await app.flow_snippets.activate(context, version)
        for _ in range(AGENTS_ON_SNIPPET):
            await app.agents.create(context, {**AGENT, "flow_snippet_version_uuid": version})
    return stable, [version, *(v.flow_snippet_version_uuid for v in later)]


async def _active_version(app: SimpleNamespace, context: TenantContext, stable: str) -> str:
    versions = await app.flow_snippets.versions(context, stable)
    active = [v for v in versions if v.status == "active"]
    assert len(active) == 1, [v.status for v in versions]
    current: str = active[0].flow_snippet_version_uuid
    return current


async def _change(
    app: SimpleNamespace,
    context: TenantContext,
    kind: str,
    stable: str,
    version: str,
    after: asyncio.Event | None = None,
) -> Any:
    """One version change; a ``rollback`` waits for ``after`` (the first change's
    re-pointing has begun), as activating the version still active changes nothing."""
    if kind == "rollback" and after is not None:
        await after.wait()
    if kind in ("activate", "rollback"):
        return await app.flow_snippets.activate(context, version)
    return await app.flow_snippets.new_version(
        context, stable, {"flow_context": f"from {version}"}
    )


async def _every_agent_on_the_active_version(
    app: SimpleNamespace, context: TenantContext, stable: str, versions_before: int
) -> None:
    """Every agent on the active version, and exactly one new version per agent moved
    (none minted by a re-pointing that moved agents already where they belonged)."""
    current = await _active_version(app, context, stable)
    assert await app.agents.count(context, statuses=["active"]) == AGENTS_ON_SNIPPET
    on_it = await app.agents.count(context, statuses=["active"], flow_snippet_version_uuid=current)
    assert on_it == AGENTS_ON_SNIPPET, f"{AGENTS_ON_SNIPPET - on_it} agents name another version"
    assert await app.agents.count(context) - versions_before <= 3 * AGENTS_ON_SNIPPET


@pytest.mark.parametrize("instances", [1, 2], ids=["one-aace", "two-aace"])
async def test_concurrent_version_changes_leave_every_agent_on_the_active_version(
    aaces: Aaces, context: TenantContext, instances: int
) -> None:
    """Two activations, an activation and a rollback to the version active before it, an
    activation and a new version, or two new versions of one snippet at once, with agents
    on it (two pages of them): afterwards every agent names the active version, and every
    re-pointing has ended. The first re-pointing is held until the second has finished
    (before it reads, after it read and before it writes, or between its two pages), which
    is how agents were left on a version another activation had replaced, and how a
    rollback made a re-pointing move agents onto the version they were on, forever; one
    round in four runs free."""
    apps = aaces(instances, unit_size=REPOINT_UNIT)
    first_app, second_app = apps[0], apps[-1]
    overtaking = Overtaking(apps)
    stable, _ = await _snippet_with_agents(first_app, context)
    for number in range(ROUNDS):
        first, second, mode = PLAN[number % len(PLAN)]
        if instances == 1 and first == second == "new_version":
            mode = "free"  # one Aace queues new versions of an entity: nothing overtakes
        versions = await first_app.flow_snippets.versions(context, stable)
        inactive = [v.flow_snippet_version_uuid for v in versions if v.status == "inactive"]
        previous = await _active_version(first_app, context, stable)
        before = await first_app.agents.count(context)
        second_version = previous if second == "rollback" else inactive[(number + 1) % 2]
        overtaking.arm(mode)
        with anyio.fail_after(ROUND_LIMIT):
            await asyncio.gather(
                _change(first_app, context, first, stable, inactive[number % 2]),
                _change(second_app, context, second, stable, second_version, overtaking.started),
            )
        assert overtaking.calls == 2, (number, overtaking.calls)
        await _every_agent_on_the_active_version(first_app, context, stable, before)
    for mode in ("before_read", "before_commit", "between_pages"):
        assert overtaking.held.get(mode), overtaking.held  # the hooks did hold


async def test_a_rerouted_repointing_ends_after_rollbacks_and_flapping(
    aaces: Aaces, context: TenantContext
) -> None:
    """A re-pointing from v1 to v2, held before its first page or between its two pages
    while the snippet is rolled back to v1 (A→B→A) or flaps back and forth (A→B→A→B),
    ends with every agent on the active version and one new version per agent moved;
    re-pointing a version to itself moves nothing."""
    (app,) = aaces(1, unit_size=REPOINT_UNIT)
    stable, (v1, v2, v3) = await _snippet_with_agents(app, context)
    batches = Hold(app.agents, "_repoint_batch")
    for skip, flaps in itertools.product((0, 1), ([v1], [v1, v2])):
        await app.flow_snippets.activate(context, v1)
        before = await app.agents.count(context)
        batches.arm(skip)
        with anyio.fail_after(ROUND_LIMIT):
            held = asyncio.ensure_future(app.flow_snippets.activate(context, v2))
            await batches.reached.wait()
            batches.armed = False  # the flaps' own re-pointings run free
            for version in flaps:
                await app.flow_snippets.activate(context, version)
            batches.open()
            await held
        await _every_agent_on_the_active_version(app, context, stable, before)
    for version in (v1, v2, v3):
        before = await app.agents.count(context)
        with anyio.fail_after(ROUND_LIMIT):
            assert await app.flow_snippets.repoint(context, version, version) == 0
            assert await app.agents.repoint(context, version, version) == 0
        assert await app.agents.count(context) == before


async def test_a_repointing_whose_target_is_deleted_before_it_reads_follows_the_heir(
    aaces: Aaces, context: TenantContext
) -> None:
    """``activate(v2)`` whose re-pointing starts only after v2 was deleted (the heir v3
    promoted): the agents go to v3, the active version, instead of staying on v1."""
    (app,) = aaces(1)
    stable, (v1, v2, v3) = await _snippet_with_agents(app, context, agents_last=True)
    start = Hold(app.agents, "repoint")
    start.arm()
    with anyio.fail_after(ROUND_LIMIT):
        activating = asyncio.ensure_future(app.flow_snippets.activate(context, v2))
        await start.reached.wait()
        await app.flow_snippets.update(context, v3, {"flow_context": "v3b"})  # the heir
        await app.flow_snippets.delete(context, v2)
        start.open()
        await activating
    assert await _active_version(app, context, stable) == v3
    await _every_agent_on_the_active_version(app, context, stable, AGENTS_ON_SNIPPET)
    with pytest.raises(ValidationError) as refused:
        await app.agents.repoint(context, v1, v3, follow_snippet="another-snippet")
    assert refused.value.field == "follow_snippet"


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
    app: SimpleNamespace, context: TenantContext, agent: Any, thread: Any, run: Any
) -> list[Any]:
    """A thread under the agent, a run under the thread, a message and a tool call under
    its run: each lands or is refused as ``NotFound`` (its parent already gone)."""
    under_run = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
    results = await asyncio.gather(
        app.threads.create(context, {"agent_uuid": agent.agent_uuid}),
        app.runs.create(context, {"thread_uuid": thread.thread_uuid}),
        app.messages.create(context, {**under_run, "role": "user", "message": "late"}),
        app.tool_calls.create(context, {**under_run, "tool_type": "function", "name": "f"}),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, NotFound):
            raise result
    return list(results)


#: How the creates meet the cascade: while it is held once it has listed its subtree,
#: while it is held between two of its units (on units of 6 actions), or as they come.
CASCADE_MODES = ("listed", "between_units", "free")


async def test_a_cascade_racing_creates_leaves_nothing_under_a_deleted_parent(
    aaces: Aaces, store: Store, context: TenantContext
) -> None:
    """An agent's last version deleted with ``cascade=True`` while a thread is created
    under the agent, a run under its thread and a message and a tool call under its run:
    the cascade deletes them too, or they are refused; nothing stays under a deleted
    parent. The creates land after the cascade listed its subtree and before it writes
    (the interleaving that used to orphan grandchildren), or between two of its units (the
    first committed, the rest not), or run free. Half the rounds run on units of work of 6
    actions, so the cascade spreads over several units, deepest first."""
    apps = [*aaces(1), *aaces(1, unit_size=6)]
    listed = [Pause(app.agents._dependents, "subtree") for app in apps]
    tenant = context.partition_key
    held: dict[str, int] = {}
    for number in range(ROUNDS):
        small = number % 2
        app, mode = apps[small], CASCADE_MODES[number // 2 % len(CASCADE_MODES)]
        if mode == "between_units" and not small:
            mode = "listed"  # the whole cascade fits one unit
        agent, thread, run = await _conversation(app, context)
        delete = app.agents.delete(context, agent.agent_version_uuid, cascade=True)
        with anyio.fail_after(ROUND_LIMIT):
            if mode == "free":
                await asyncio.gather(
                    delete, _children_and_grandchildren(app, context, agent, thread, run)
                )
            else:
                pause = listed[small] if mode == "listed" else app.units.commits
                pause.arm()
                deleting = asyncio.ensure_future(delete)
                await pause.reached.wait()
                created = await _children_and_grandchildren(app, context, agent, thread, run)
                assert not any(isinstance(r, BaseException) for r in created), created
                pause.release.set()
                await deleting
                held[mode] = held.get(mode, 0) + 1
        left = await left_under(store, tenant, agent.agent_uuid, [thread.thread_uuid])
        assert not any(left.values()), (number, mode, left)
    assert held.get("listed"), held
    assert held.get("between_units"), held


async def test_a_cascade_outrun_by_creates_says_so(
    aaces: Aaces, store: Store, context: TenantContext
) -> None:
    """A cascade that finds a record created under its subtree after it listed it, with no
    time left to list again, is ``DependentsArrived`` saying that records kept being
    created (not ``ConditionFailed`` "kept changing"); what it deleted went bottom-up, so
    every record left has its parents."""
    (app,) = aaces(1, unit_size=6, contention_deadline=1e-6)
    listed = Pause(app.agents._dependents, "subtree")
    agent, thread, _ = await _conversation(app, context)
    listed.arm()
    with anyio.fail_after(ROUND_LIMIT):
        deleting = asyncio.ensure_future(
            app.agents.delete(context, agent.agent_version_uuid, cascade=True)
        )
        await listed.reached.wait()
        await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
        listed.release.set()
        with pytest.raises(DependentsArrived) as outrun:
            await deleting
    assert "kept being created" in str(outrun.value)
    left = await left_under(store, context.partition_key, agent.agent_uuid, [thread.thread_uuid])
    assert (left["agents"], left["threads"], left["runs"]) == (1, 1, 2), left


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
