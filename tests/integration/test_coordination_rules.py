"""The coordination engine's rules through the services, on every adapter: the agent graph
run by concurrent completions, the state machines, the iteration cap, the agents a task may
name, guards and cascades."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.errors import HasDependents, TransactionTooLarge, ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from tests.integration.records import graph_session

pytestmark = pytest.mark.anyio

#: A 3-level graph: A fans out to B and C, which fan in to D; E hangs off A alone.
GRAPH = {"A": [], "B": ["A"], "C": ["A"], "D": ["B", "C"], "E": ["A"]}


async def test_the_graph_runs_to_completion_by_concurrent_completions(
    app: Any, context: TenantContext
) -> None:
    """50 rounds: every wave of ready agents completes at once; the graph never stalls and
    no in_degree goes below 0."""
    for _ in range(50):
        c, s = await graph_session(app, context, GRAPH)
        started = await app.session_agents.start(context, c, s)
        assert {a.agent_uuid: a.in_degree for a in started} == {
            a: len(p) for a, p in GRAPH.items()
        }
        done: set[str] = set()
        while len(done) < len(GRAPH):
            ready = await app.session_agents.ready(context, s)
            expected = {a for a, p in GRAPH.items() if a not in done and set(p) <= done}
            assert {a.agent_uuid for a in ready} == expected  # never stalls
            await asyncio.gather(
                *(
                    app.session_agents.complete(
                        context, s, a.session_agent_uuid, f"out {a.agent_uuid}"
                    )
                    for a in ready
                )
            )
            done |= expected
            agents = (await app.session_agents.list(context, session_uuid=s)).items
            assert all(a.in_degree >= 0 for a in agents)
        final = (await app.session_agents.list(context, session_uuid=s)).items
        assert all(a.state == "completed" and a.in_degree == 0 for a in final)


async def test_a_second_complete_is_refused_and_decrements_nothing(
    app: Any, context: TenantContext
) -> None:
    c, s = await graph_session(app, context, {"A": [], "B": ["A"]})
    first, second = sorted(
        await app.session_agents.start(context, c, s), key=lambda a: a.agent_uuid
    )
    await app.session_agents.complete(context, s, first.session_agent_uuid, "done")
    with pytest.raises(ValidationError) as caught:
        await app.session_agents.complete(context, s, first.session_agent_uuid, "again")
    assert caught.value.field == "state"
    assert (await app.session_agents.get(context, s, second.session_agent_uuid)).in_degree == 0
    with pytest.raises(ValidationError):  # started twice
        await app.session_agents.start(context, c, s)


async def test_start_formats_queries_and_records_the_session_agents(
    app: Any, context: TenantContext
) -> None:
    c, first = await graph_session(app, context, {"A": []})
    task_uuid = (await app.sessions.get(context, c, first)).task_uuid
    template = "about {topic} ({tags}) {unknown}"
    await app.tasks.update(
        context,
        c,
        task_uuid,
        {"subtask_queries": [{"agent_uuid": "A", "subtask_query": template}]},
    )
    task_query = json.dumps({"topic": "tides", "tags": ["a", "b"]})
    session = await app.sessions.create(
        context, {"coordination_uuid": c, "task_uuid": task_uuid, "task_query": task_query}
    )
    assert session.subtask_queries == [{"agent_uuid": "A", "subtask_query": template}]
    (agent,) = await app.session_agents.start(context, c, session.session_uuid)
    (query,) = (await app.sessions.get(context, c, session.session_uuid)).subtask_queries
    assert query == {
        "agent_uuid": "A",
        "subtask_query": "about tides (a,b) {unknown}",
        "session_agent_uuid": agent.session_agent_uuid,
    }
    assert agent.agent_action == {
        "primary_path": True,
        "user_in_the_loop": None,
        "predecessors": [],
        "action_function": {},
    }


async def test_a_graph_larger_than_one_unit_is_refused_before_writing(
    app: Any, context: TenantContext, store: Store
) -> None:
    limit = store.unit_of_work().max_actions
    # limit agents + the session: one too many
    graph: dict[str, list[str]] = {f"a{i}": [] for i in range(limit)}
    c, s = await graph_session(app, context, graph)
    with pytest.raises(TransactionTooLarge):
        await app.session_agents.start(context, c, s)
    assert await app.session_agents.count(context, session_uuid=s) == 0


async def test_status_and_state_moves_are_checked(app: Any, context: TenantContext) -> None:
    c, s = await graph_session(app, context, {"A": [], "B": ["A"]})
    with pytest.raises(ValidationError) as caught:
        await app.sessions.update(context, c, s, {"status": "completed"})
    assert caught.value.field == "status"
    await app.sessions.update(context, c, s, {"status": "active"})  # a synonym of initial
    a, b = sorted(await app.session_agents.start(context, c, s), key=lambda x: x.agent_uuid)
    assert (await app.sessions.get(context, c, s)).status == "dispatched"  # start dispatches
    key = (s, a.session_agent_uuid)
    with pytest.raises(ValidationError) as caught:
        await app.session_agents.update(context, *key, {"state": "wait_for_user_input"})
    assert caught.value.field == "state"
    with pytest.raises(ValidationError):  # completing is complete()'s
        await app.session_agents.update(context, *key, {"state": "completed"})
    with pytest.raises(ValidationError):
        await app.session_agents.update(context, *key, {"in_degree": 3})
    with pytest.raises(ValidationError) as caught:  # the graph is fixed once it exists
        await app.session_agents.update(context, *key, {"agent_action": {"predecessors": ["B"]}})
    assert caught.value.field == "agent_action.predecessors"
    merged = await app.session_agents.update(
        context, *key, {"agent_action": {"user_in_the_loop": "ask"}}
    )  # merged over what is stored, not over the defaults
    assert merged.agent_action == {
        "primary_path": True,
        "user_in_the_loop": "ask",
        "predecessors": [],
        "action_function": {},
    }
    await app.session_agents.begin(context, *key, "input")
    waiting = await app.session_agents.update(context, *key, {"state": "wait_for_user_input"})
    assert waiting.state == "wait_for_user_input"
    done = await app.session_agents.provide_user_input(context, *key, "yes")
    assert (done.state, done.user_input) == ("completed", "yes")
    assert (await app.session_agents.get(context, s, b.session_agent_uuid)).in_degree == 0
    with pytest.raises(ValidationError):
        await app.session_agents.provide_user_input(context, *key, "again")
    for status in ("in_progress", "completed"):
        await app.sessions.update(context, c, s, {"status": status})
    with pytest.raises(ValidationError):
        await app.sessions.update(context, c, s, {"status": "in_progress"})  # terminal
    with pytest.raises(ValidationError):
        await app.sessions.next_iteration(context, c, s)


async def test_user_input_for_an_agent_with_an_action_function_leaves_it_pending(
    app: Any, context: TenantContext
) -> None:
    c, s = await graph_session(app, context, {"A": []})
    (agent,) = await app.session_agents.start(context, c, s)
    key = (s, agent.session_agent_uuid)
    await app.session_agents.update(
        context, *key, {"agent_action": {"action_function": {"name": "notify"}}}
    )
    await app.session_agents.begin(context, *key, "input")
    await app.session_agents.update(context, *key, {"state": "wait_for_user_input"})
    pending = await app.session_agents.provide_user_input(context, *key, "ok")
    assert (pending.state, pending.user_input) == ("pending", "ok")
    assert [a.session_agent_uuid for a in await app.session_agents.ready(context, s)] == [
        agent.session_agent_uuid
    ]


async def test_records_are_created_in_a_starting_state(app: Any, context: TenantContext) -> None:
    c, s = await graph_session(app, context, {"A": []})
    with pytest.raises(ValidationError) as caught:
        await app.sessions.create(context, {"coordination_uuid": c, "status": "completed"})
    assert caught.value.field == "status"
    with pytest.raises(ValidationError) as caught:
        await app.session_agents.create(
            context,
            {"session_uuid": s, "coordination_uuid": c, "agent_uuid": "A", "state": "completed"},
        )
    assert caught.value.field == "state"
    task_uuid = (await app.sessions.get(context, c, s)).task_uuid
    own = [{"agent_uuid": "A", "subtask_query": "mine"}]
    session = await app.sessions.create(
        context, {"coordination_uuid": c, "task_uuid": task_uuid, "subtask_queries": own}
    )
    assert session.subtask_queries == own
    assert session.task_query == "q"  # the task's initial query all the same


async def test_the_iteration_cap_fails_the_session(store: Store, context: TenantContext) -> None:
    app = wire_services(Settings(max_session_iterations=3), store)
    coordination = await app["coordinations"].create(context, {"coordination_name": "C"})
    c = coordination.coordination_uuid
    session = await app["sessions"].create(context, {"coordination_uuid": c})
    s = session.session_uuid
    first = await app["sessions"].next_iteration(context, c, s)
    second = await app["sessions"].next_iteration(context, c, s)
    assert (first.iteration_count, second.iteration_count, second.status) == (1, 2, "initial")
    third = await app["sessions"].next_iteration(context, c, s)
    assert (third.iteration_count, third.status) == (3, "failed")
    assert json.loads(third.logs) == [{"log": "Maximum iterations (3) reached"}]
    logged = await app["sessions"].append_log(context, c, s, "later")
    assert json.loads(logged.logs)[-1] == "later"
    other = await app["sessions"].create(context, {"coordination_uuid": c})
    failed = await app["sessions"].append_log(
        context, c, other.session_uuid, {"log": "boom"}, status="failed"
    )
    assert (failed.status, json.loads(failed.logs)) == ("failed", [{"log": "boom"}])
    with pytest.raises(ValidationError):  # the move is checked, and nothing is logged
        await app["sessions"].append_log(context, c, other.session_uuid, "x", status="dispatched")
    assert json.loads((await app["sessions"].get(context, c, other.session_uuid)).logs) == [
        {"log": "boom"}
    ]
    with pytest.raises(ValidationError) as caught:
        await app["sessions"].update(context, c, s, {"iteration_count": 0})
    assert caught.value.field == "iteration_count"


async def test_tasks_may_name_only_their_coordinations_agents(
    app: Any, context: TenantContext
) -> None:
    c, _ = await graph_session(app, context, {"A": []})
    base = {"coordination_uuid": c, "task_name": "T", "initial_task_query": "q"}
    with pytest.raises(ValidationError) as caught:
        await app.tasks.create(
            context, {**base, "subtask_queries": [{"agent_uuid": "Z", "subtask_query": "x"}]}
        )
    assert caught.value.field == "subtask_queries[0].agent_uuid"
    with pytest.raises(ValidationError) as caught:
        await app.tasks.create(context, {**base, "agent_actions": {"Z": {}}})
    assert caught.value.field == "agent_actions.Z"
    task = await app.tasks.create(context, base)
    with pytest.raises(ValidationError):
        await app.tasks.update(context, c, task.task_uuid, {"agent_actions": {"Z": {}}})
    before = await app.coordinations.count(context)
    inline = {"task_name": "T", "initial_task_query": "q", "agent_actions": {"Z": {}}}
    with pytest.raises(ValidationError) as caught:
        await app.coordinations.create(
            context, {"coordination_name": "C", "agents": []}, tasks=[inline]
        )
    assert caught.value.field == "agent_actions.Z"
    assert await app.coordinations.count(context) == before  # nothing written
    with pytest.raises(ValidationError) as caught:
        await app.coordinations.create(
            context, {"coordination_name": "C", "agents": [{"agent_uuid": "x", "agent_name": "X"}]}
        )
    assert caught.value.field == "agents[0].agent_type"


async def test_a_coordination_is_guarded_and_cascades(app: Any, context: TenantContext) -> None:
    c, s = await graph_session(app, context, {"A": [], "B": ["A"]})
    session = await app.sessions.get(context, c, s)
    await app.session_agents.start(context, c, s)
    await app.task_schedules.create(
        context, {"task_uuid": session.task_uuid, "coordination_uuid": c, "schedule": "@daily"}
    )
    await app.session_runs.create(
        context,
        {
            "session_uuid": s,
            "run_uuid": "r",
            "thread_uuid": "t",
            "agent_uuid": "A",
            "coordination_uuid": c,
            "async_task_uuid": "x",
        },
    )
    with pytest.raises(HasDependents):
        await app.coordinations.delete(context, c)
    with pytest.raises(HasDependents):
        await app.sessions.delete(context, c, s)
    await app.coordinations.delete(context, c, cascade=True)
    assert await app.coordinations.find(context, c) is None
    assert await app.tasks.count(context, coordination_uuid=c) == 0
    assert await app.sessions.count(context, coordination_uuid=c) == 0
    assert await app.session_agents.count(context, session_uuid=s) == 0
    assert await app.session_runs.count(context, session_uuid=s) == 0
    assert await app.task_schedules.count(context, task_uuid=session.task_uuid) == 0
