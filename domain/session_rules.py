"""A session's and its agents' rules, pure (services.md, "Coordination engine"): how a
session starts, moves, counts iterations and keeps its log; how a session's agents are
planned from its subtask queries, start, move, take a user's input and finish. The state
machines themselves are :mod:`aace.domain.coordination_rules`'."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from aace.domain.coordination_rules import (
    OPEN_STATUSES,
    SESSION_AGENT_MOVES,
    SESSION_MOVES,
    check_move,
    merged_agent_action,
)
from aace.domain.entities import Session, SessionAgent, Task
from aace.domain.entity_rules import EntityRules
from aace.domain.errors import ValidationError

__all__ = [
    "READY_STATES",
    "SESSION_AGENT_RULES",
    "SESSION_RULES",
    "appended",
    "check_finishable",
    "check_open",
    "check_unstarted",
    "dispatched",
    "iterated",
    "logged",
    "new_session",
    "new_session_agent",
    "planned_agents",
    "session_agent_changed",
    "session_changed",
    "session_from_task",
    "state_after_user_input",
    "takes_a_predecessor",
    "task_key",
]

#: The states in which a session agent with no unfinished predecessor may run.
READY_STATES = ("initial", "pending")


def new_session(session: Session) -> Session:
    """A session starts in an open status (``initial``, ``active`` or ``in_transit``)."""
    if session.status not in OPEN_STATUSES:
        raise ValidationError("status", f"a session starts {', '.join(sorted(OPEN_STATUSES))}")
    return session


def session_changed(current: Session, changed: Session, changes: Mapping[str, Any]) -> Session:
    """A session's ``status`` moves only as :data:`SESSION_MOVES` allows."""
    check_move("status", SESSION_MOVES, current.status, changed.status)
    return changed


def task_key(session: Session) -> tuple[str, str] | None:
    """The key of the task a new session takes from: it names one, and lacks its subtask
    queries or its task query; else ``None``."""
    if session.task_uuid is None or (session.subtask_queries and session.task_query is not None):
        return None
    return (session.coordination_uuid, session.task_uuid)


def session_from_task(session: Session, task: Task) -> Session:
    """A new session of ``task``: the task's subtask queries and initial query where the
    session gives none."""
    return attrs.evolve(
        session,
        subtask_queries=session.subtask_queries or task.subtask_queries,
        task_query=session.task_query
        if session.task_query is not None
        else task.initial_task_query,
    )


def check_open(session: Session) -> None:
    """``ValidationError`` once a session is in a terminal status (nowhere left to go)."""
    if not SESSION_MOVES.get(session.status):
        raise ValidationError("status", f"the session is {session.status}")


def appended(logs: str | None, entry: Any) -> str:
    """``logs`` (a JSON list as text; other text becomes its first entry) plus ``entry``."""
    try:
        entries = json.loads(logs) if logs else []
    except ValueError:
        entries = [logs]
    if not isinstance(entries, list):
        entries = [entries]
    return json.dumps([*entries, entry])


def iterated(session: Session, most: int) -> dict[str, Any]:
    """The changes of one more iteration: the count plus one; at ``most`` the session is
    ``failed`` instead, with the reason in its logs."""
    check_open(session)
    count = session.iteration_count + 1
    if count < most:
        return {"iteration_count": count}
    check_move("status", SESSION_MOVES, session.status, "failed")
    logs = appended(session.logs, {"log": f"Maximum iterations ({most}) reached"})
    return {"iteration_count": count, "status": "failed", "logs": logs}


def logged(session: Session, entry: Any, status: str | None) -> dict[str, Any]:
    """The changes adding ``entry`` to the session's logs (and moving it to ``status``)."""
    changes: dict[str, Any] = {"logs": appended(session.logs, entry)}
    if status is not None:
        check_move("status", SESSION_MOVES, session.status, status)
        changes["status"] = status
    return changes


def check_unstarted(session: Session) -> None:
    """A session's agents start once, while it is open (``ValidationError`` otherwise)."""
    if any(
        isinstance(q, Mapping) and q.get("session_agent_uuid") for q in session.subtask_queries
    ):
        raise ValidationError("session_uuid", "the session's agents were already started")
    check_open(session)


def planned_agents(
    coordination_agents: Sequence[Mapping[str, Any]], queries: Sequence[Mapping[str, Any]]
) -> list[tuple[str, int]]:
    """The session agents to create, as ``(agent_uuid, index of its query)``: one per task
    agent of the coordination (in its order) and subtask query naming it."""
    task_agents = [a["agent_uuid"] for a in coordination_agents if a.get("agent_type") == "task"]
    return [
        (agent_uuid, number)
        for agent_uuid in task_agents
        for number, query in enumerate(queries)
        if query.get("agent_uuid") == agent_uuid
    ]


def dispatched(status: str) -> str:
    """A session's status once its agents start: ``dispatched`` if it was still open."""
    return "dispatched" if status in OPEN_STATUSES else status


def new_session_agent(agent: SessionAgent) -> SessionAgent:
    """A session agent starts ``initial``, its ``agent_action`` the defaults with what is
    given on top."""
    agent = attrs.evolve(agent, agent_action=merged_agent_action(agent.agent_action))
    if agent.state != "initial":
        raise ValidationError("state", "a session agent starts initial")
    return agent


def session_agent_changed(
    current: SessionAgent, changed: SessionAgent, changes: Mapping[str, Any]
) -> SessionAgent:
    """``state`` moves as :data:`SESSION_AGENT_MOVES` allows, but to ``completed`` only
    through ``complete``; a given ``agent_action`` merges over the current one, whose
    ``predecessors`` are fixed."""
    if changed.state == "completed" and current.state != "completed":
        raise ValidationError("state", "a session agent completes through complete()")
    check_move("state", SESSION_AGENT_MOVES, current.state, changed.state)
    if "agent_action" in changes:
        given = changes["agent_action"]
        merged_agent_action(given)  # a mapping, or ValidationError
        merged = {**merged_agent_action(current.agent_action), **(given or {})}
        before = (current.agent_action or {}).get("predecessors") or []
        if (merged.get("predecessors") or []) != before:
            raise ValidationError(
                "agent_action.predecessors", "is fixed once the session agent exists"
            )
        changed = attrs.evolve(changed, agent_action=merged)
    return changed


def state_after_user_input(agent: SessionAgent) -> str:
    """Where a user's answer takes an agent in ``wait_for_user_input``: ``pending`` when it
    has an action function to run, else ``completed``."""
    if agent.state != "wait_for_user_input":
        raise ValidationError("state", f"the session agent is {agent.state}, not waiting")
    return "pending" if (agent.agent_action or {}).get("action_function") else "completed"


def check_finishable(agent: SessionAgent) -> None:
    """A finished session agent (``completed`` or ``failed``) finishes no more."""
    if agent.state in ("completed", "failed"):
        raise ValidationError("state", f"the session agent is already {agent.state}")


def takes_a_predecessor(successor: SessionAgent, finished: SessionAgent) -> bool:
    """Whether ``finished`` finishing lowers ``successor``'s ``in_degree`` (never below 0,
    never its own)."""
    return successor.in_degree > 0 and successor.session_agent_uuid != finished.session_agent_uuid


SESSION_RULES: EntityRules[Session] = EntityRules(created=new_session, changed=session_changed)
SESSION_AGENT_RULES: EntityRules[SessionAgent] = EntityRules(
    created=new_session_agent, changed=session_agent_changed
)
