"""The coordination engine's rules, pure (services.md, "Coordination engine"): the agents a
coordination carries, the agents a task may name, the session and session-agent state
machines, and how a session's agent graph is built from its subtask queries."""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from typing import Any

from aace.domain.entities import Coordination, Task, default_agent_action
from aace.domain.entity_rules import EntityRules
from aace.domain.errors import ValidationError

__all__ = [
    "AGENT_TYPES",
    "COORDINATION_RULES",
    "SESSION_MOVES",
    "OPEN_STATUSES",
    "SESSION_AGENT_MOVES",
    "check_move",
    "check_task_agents",
    "checked_task",
    "coordination_input",
    "format_subtask_query",
    "merged_agent_action",
    "normalise_coordination_agents",
    "predecessor_count",
]

AGENT_TYPES = ("triage", "task", "decompose", "planning")
#: Where a session's status may go from each status (``active`` and ``in_transit`` are the
#: platform's synonyms of ``initial``); terminal statuses go nowhere.
_OPEN = ("initial", "active", "in_transit")
#: The statuses a session may be created with (and move among freely).
OPEN_STATUSES = frozenset(_OPEN)
SESSION_MOVES: dict[str, frozenset[str]] = {
    **{s: frozenset({*_OPEN, "dispatched", "failed", "timeout"}) - {s} for s in _OPEN},
    "dispatched": frozenset({"in_progress", "failed", "timeout"}),
    "in_progress": frozenset({"completed", "failed", "timeout"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "timeout": frozenset(),
}
#: Where a session agent's state may go from each state.
SESSION_AGENT_MOVES: dict[str, frozenset[str]] = {
    "initial": frozenset({"executing", "pending", "completed", "failed"}),
    "executing": frozenset({"wait_for_user_input", "pending", "completed", "failed"}),
    "wait_for_user_input": frozenset({"pending", "completed", "failed"}),
    "pending": frozenset({"executing", "completed", "failed"}),
    "completed": frozenset(),
    "failed": frozenset(),
}


def check_move(field: str, moves: Mapping[str, frozenset[str]], old: str, new: str) -> None:
    """``ValidationError`` naming ``field`` unless ``old`` may become ``new`` (staying put
    is no move)."""
    if new == old:
        return
    if new not in moves:
        raise ValidationError(field, f"{new!r} is not one of {', '.join(moves)}")
    if new not in moves.get(old, frozenset()):
        raise ValidationError(field, f"cannot move from {old} to {new}")


def normalise_coordination_agents(agents: Any) -> list[dict[str, Any]]:
    """A coordination's ``agents`` as ``{agent_uuid, agent_name, agent_description,
    agent_type}`` each, ``agent_type`` one of :data:`AGENT_TYPES`."""
    if not isinstance(agents, list):
        raise ValidationError("agents", "must be a list of mappings")
    normal = []
    for number, agent in enumerate(agents):
        where = f"agents[{number}]"
        if not isinstance(agent, Mapping):
            raise ValidationError(where, "must be a mapping")
        for key in ("agent_uuid", "agent_name"):
            if not isinstance(agent.get(key), str) or not agent[key]:
                raise ValidationError(f"{where}.{key}", "is required text")
        if agent.get("agent_type") not in AGENT_TYPES:
            raise ValidationError(
                f"{where}.agent_type", f"must be one of {', '.join(AGENT_TYPES)}"
            )
        normal.append(
            {
                "agent_uuid": agent["agent_uuid"],
                "agent_name": agent["agent_name"],
                "agent_description": agent.get("agent_description"),
                "agent_type": agent["agent_type"],
            }
        )
    return normal


def coordination_input(data: Mapping[str, Any]) -> Mapping[str, Any]:
    """A coordination's input with its ``agents`` (when given) normalised."""
    if "agents" in data:
        return {**data, "agents": normalise_coordination_agents(data["agents"])}
    return data


def check_task_agents(
    coordination_agents: Sequence[Mapping[str, Any]],
    subtask_queries: Any,
    agent_actions: Any,
) -> None:
    """A task names only agents of its coordination, in ``subtask_queries`` (items
    ``{agent_uuid, subtask_query, …}``) and in ``agent_actions`` (keyed by agent uuid):
    ``ValidationError`` naming the first one that is not."""
    members = {agent["agent_uuid"] for agent in coordination_agents}
    for number, query in enumerate(subtask_queries or []):
        where = f"subtask_queries[{number}]"
        if not isinstance(query, Mapping) or not isinstance(query.get("agent_uuid"), str):
            raise ValidationError(f"{where}.agent_uuid", "is required text")
        if query["agent_uuid"] not in members:
            raise ValidationError(
                f"{where}.agent_uuid", f"{query['agent_uuid']} is not an agent of the coordination"
            )
    for agent_uuid in agent_actions or {}:
        if agent_uuid not in members:
            raise ValidationError(
                f"agent_actions.{agent_uuid}", "is not an agent of the coordination"
            )


def checked_task(coordination: Coordination, task: Task) -> Task:
    """``task``, if it names only ``coordination``'s agents (:func:`check_task_agents`)."""
    check_task_agents(coordination.agents, task.subtask_queries, task.agent_actions)
    return task


def merged_agent_action(given: Any) -> dict[str, Any]:
    """A session agent's ``agent_action``: the defaults, with what is given on top."""
    if given is not None and not isinstance(given, Mapping):
        raise ValidationError("agent_action", "must be a mapping")
    return {**default_agent_action(), **(given or {})}


class _KeepUnknown(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def format_subtask_query(template: Any, task_query: Any) -> Any:
    """The template formatted with the session's ``task_query`` when that is a JSON object
    (lists joined by ``,``; unknown names kept as written); else the template unchanged."""
    if not isinstance(template, str) or not isinstance(task_query, str):
        return template
    try:
        values = json.loads(task_query)
    except ValueError:
        return template
    if not isinstance(values, dict):
        return template
    flat = {k: ",".join(map(str, v)) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return string.Formatter().vformat(template, (), _KeepUnknown(flat))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template  # a template that is not a format string stays as written


def predecessor_count(agent_action: Mapping[str, Any], agent_uuids: Sequence[str]) -> int:
    """How many of a session's agents (``agent_uuids``, one per session agent) precede the
    session agent whose ``agent_action`` this is."""
    predecessors = agent_action.get("predecessors") or []
    if not isinstance(predecessors, list):
        return 0
    return sum(1 for uuid in agent_uuids if uuid in predecessors)


COORDINATION_RULES: EntityRules[Coordination] = EntityRules(normalise=coordination_input)
