"""A session's and its agents' rules, pure: how they start, move, iterate, log, are planned
from subtask queries, take a user's input and finish."""

from __future__ import annotations

import json
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.coordination_rules import (
    OPEN_STATUSES,
    SESSION_AGENT_MOVES,
    SESSION_MOVES,
)
from aace.domain.entities import SESSION_AGENTS, SESSIONS, TASKS, default_agent_action
from aace.domain.errors import ValidationError
from aace.domain.session_rules import (
    SESSION_AGENT_RULES,
    SESSION_RULES,
    appended,
    check_finishable,
    check_unstarted,
    dispatched,
    iterated,
    logged,
    new_session,
    new_session_agent,
    planned_agents,
    session_agent_changed,
    session_from_task,
    state_after_user_input,
    takes_a_predecessor,
    task_key,
)
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

TENANT = PartitionKey("ep", "part")
session_statuses = st.sampled_from(sorted(SESSION_MOVES))
agent_states = st.sampled_from(sorted(SESSION_AGENT_MOVES))


def _session(**fields: Any) -> Any:
    return sample(SESSIONS, TENANT, **fields)


def _agent(**fields: Any) -> Any:
    return sample(SESSION_AGENTS, TENANT, **fields)


@given(session_statuses)
def test_a_session_starts_open(status: str) -> None:
    session = _session(status=status)
    if status in OPEN_STATUSES:
        assert new_session(session) is session
    else:
        with pytest.raises(ValidationError, match="a session starts"):
            SESSION_RULES.created(session)


@given(session_statuses, session_statuses)
def test_a_session_moves_as_its_state_machine_says(old: str, new: str) -> None:
    current = _session(status=old)
    changed = attrs.evolve(current, status=new)
    if new == old or new in SESSION_MOVES[old]:
        assert SESSION_RULES.changed(current, changed, {"status": new}) is changed
    else:
        with pytest.raises(ValidationError):
            SESSION_RULES.changed(current, changed, {"status": new})


def test_a_session_takes_from_its_task_what_it_lacks() -> None:
    task = sample(TASKS, TENANT, subtask_queries=[{"agent_uuid": "a"}], initial_task_query="q")
    bare = _session(coordination_uuid=task.coordination_uuid, task_uuid=task.task_uuid)
    assert task_key(bare) == (task.coordination_uuid, task.task_uuid)
    filled = session_from_task(bare, task)
    assert (filled.subtask_queries, filled.task_query) == ([{"agent_uuid": "a"}], "q")
    own = attrs.evolve(bare, task_query="mine")
    assert session_from_task(own, task).task_query == "mine"
    assert task_key(filled) is None  # has both: reads no task
    assert task_key(_session()) is None  # names no task


def test_appended_logs_keep_a_json_list() -> None:
    assert json.loads(appended(None, {"log": 1})) == [{"log": 1}]
    assert json.loads(appended('[{"log": 1}]', "two")) == [{"log": 1}, "two"]
    assert json.loads(appended("plain text", 3)) == ["plain text", 3]
    assert json.loads(appended('{"a": 1}', 3)) == [{"a": 1}, 3]


@given(st.integers(0, 9), st.integers(1, 10))
def test_an_iteration_counts_until_the_cap_then_fails(count: int, most: int) -> None:
    session = _session(status="in_progress", iteration_count=count)
    changes = iterated(session, most)
    assert changes["iteration_count"] == count + 1
    if count + 1 < most:
        assert changes == {"iteration_count": count + 1}
    else:
        assert changes["status"] == "failed"
        assert json.loads(changes["logs"]) == [{"log": f"Maximum iterations ({most}) reached"}]


@pytest.mark.parametrize("status", ["completed", "failed", "timeout"])
def test_a_finished_session_neither_iterates_nor_starts(status: str) -> None:
    session = _session(status=status)
    with pytest.raises(ValidationError, match=f"the session is {status}"):
        iterated(session, 5)
    with pytest.raises(ValidationError):
        check_unstarted(session)


def test_a_log_entry_may_move_the_session() -> None:
    session = _session(status="dispatched")
    assert logged(session, "x", None) == {"logs": json.dumps(["x"])}
    assert logged(session, "x", "in_progress")["status"] == "in_progress"
    with pytest.raises(ValidationError):
        logged(session, "x", "completed")


def test_a_session_starts_its_agents_once() -> None:
    check_unstarted(_session(subtask_queries=[{"agent_uuid": "a"}]))
    started = _session(subtask_queries=[{"agent_uuid": "a", "session_agent_uuid": "s"}])
    with pytest.raises(ValidationError) as caught:
        check_unstarted(started)
    assert caught.value.field == "session_uuid"


def test_planned_agents_follow_the_task_agents_and_their_queries() -> None:
    agents = [
        {"agent_uuid": "t1", "agent_type": "task"},
        {"agent_uuid": "p", "agent_type": "planning"},
        {"agent_uuid": "t2", "agent_type": "task"},
    ]
    queries = [
        {"agent_uuid": "t2"},
        {"agent_uuid": "p"},
        {"agent_uuid": "t1"},
        {"agent_uuid": "t2"},
    ]
    assert planned_agents(agents, queries) == [("t1", 2), ("t2", 0), ("t2", 3)]


@given(session_statuses)
def test_starting_dispatches_an_open_session(status: str) -> None:
    assert dispatched(status) == ("dispatched" if status in OPEN_STATUSES else status)


@given(st.none() | st.dictionaries(st.sampled_from(["primary_path", "x"]), st.booleans()))
def test_a_session_agent_starts_initial_with_default_actions(given_action: Any) -> None:
    agent = new_session_agent(_agent(agent_action=given_action))
    assert agent.agent_action == {**default_agent_action(), **(given_action or {})}
    with pytest.raises(ValidationError, match="starts initial"):
        SESSION_AGENT_RULES.created(_agent(state="executing"))


@given(agent_states, agent_states)
def test_a_session_agent_moves_as_its_state_machine_says(old: str, new: str) -> None:
    current = _agent(state=old)
    changed = attrs.evolve(current, state=new)
    allowed = new == old or (new in SESSION_AGENT_MOVES[old] and new != "completed")
    if allowed:
        assert session_agent_changed(current, changed, {"state": new}) is changed
    else:
        with pytest.raises(ValidationError):
            session_agent_changed(current, changed, {"state": new})


def test_a_session_agents_action_merges_and_keeps_its_predecessors() -> None:
    current = _agent(agent_action={**default_agent_action(), "predecessors": ["a"]})
    changes = {"agent_action": {"primary_path": False}}
    changed = session_agent_changed(current, current, changes)
    assert changed.agent_action is not None
    assert changed.agent_action["primary_path"] is False
    assert changed.agent_action["predecessors"] == ["a"]
    moved = {"agent_action": {"predecessors": ["b"]}}
    with pytest.raises(ValidationError) as caught:
        session_agent_changed(current, current, moved)
    assert caught.value.field == "agent_action.predecessors"
    with pytest.raises(ValidationError):
        session_agent_changed(current, current, {"agent_action": ["not", "a", "map"]})


def test_a_users_answer_goes_to_the_action_or_completes() -> None:
    acting = {**default_agent_action(), "action_function": {"name": "f"}}
    assert state_after_user_input(_agent(state="wait_for_user_input", agent_action=acting)) == (
        "pending"
    )
    assert state_after_user_input(_agent(state="wait_for_user_input")) == "completed"
    with pytest.raises(ValidationError, match="not waiting"):
        state_after_user_input(_agent(state="executing"))


@given(agent_states)
def test_a_finished_agent_finishes_no_more(state: str) -> None:
    if state in ("completed", "failed"):
        with pytest.raises(ValidationError, match="already"):
            check_finishable(_agent(state=state))
    else:
        check_finishable(_agent(state=state))


@given(st.integers(0, 3))
def test_finishing_lowers_a_successor_never_below_zero_nor_itself(in_degree: int) -> None:
    finished = _agent()
    successor = _agent(in_degree=in_degree)
    assert takes_a_predecessor(successor, finished) == (in_degree > 0)
    assert not takes_a_predecessor(attrs.evolve(finished, in_degree=in_degree), finished)
