"""The conversation records' rules, pure (services.md, "Conversation records"): a run's
spent tokens and totals, its quota keys, completion times of tool calls and async tasks, the
async-task state machine, a thread's one changeable field, and how a thread's history is
told."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

from aace.domain.entities import Agent, AsyncTask, Run, ToolCall
from aace.domain.entity_rules import EntityRules
from aace.domain.errors import ValidationError

__all__ = [
    "ASYNC_TASK_MOVES",
    "ASYNC_TASK_RULES",
    "RUN_QUOTA_KEYS",
    "RUN_RULES",
    "THREAD_CHANGEABLE",
    "TOKEN_TYPES",
    "TOOL_CALL_RULES",
    "async_task_changed",
    "check_thread_changes",
    "completed",
    "history_tail",
    "history_voice",
    "milliseconds_between",
    "run_changed",
    "tokens_gained",
    "tool_call_message",
]

#: ``token_type`` values and the run field each names.
TOKEN_TYPES = {
    "completion": "completion_tokens",
    "prompt": "prompt_tokens",
    "total": "total_tokens",
}
#: The usage keys a new run is checked against (``LimitExceeded`` at an active limit
#: without overage); a run counts one under ``runs``, spent tokens count under ``tokens``.
RUN_QUOTA_KEYS = ("tokens", "runs")
#: Where an async task's status may go from each status (staying put is no move).
ASYNC_TASK_MOVES: dict[str, frozenset[str]] = {
    "initial": frozenset({"in_progress"}),
    "in_progress": frozenset({"completed", "failed"}),
}
#: The fields a thread's update may change.
THREAD_CHANGEABLE = frozenset({"user_id"})
#: Whose voice a tool call speaks in a history when the thread's agent is gone, and how
#: many entries a history holds by default then.
DEFAULT_TOOL_CALL_ROLE = "developer"
DEFAULT_HISTORY_LENGTH = 10

R = TypeVar("R", bound="_Timed")


class _Timed(Protocol):
    @property
    def content(self) -> str: ...
    @property
    def updated_at(self) -> datetime: ...


def milliseconds_between(start: datetime, end: datetime) -> float:
    """``end - start`` in milliseconds."""
    return (end - start).total_seconds() * 1000


def run_changed(current: Run, changed: Run, changes: Mapping[str, Any]) -> Run:
    """Spent tokens are facts (``completion_tokens`` and ``prompt_tokens`` never go down);
    an update giving ``completion_tokens > 0`` sets ``total_tokens`` (their sum) and
    ``time_spent`` (ms from ``created_at`` to the update)."""
    for name in ("completion_tokens", "prompt_tokens"):
        if getattr(changed, name) < getattr(current, name):
            raise ValidationError(name, "cannot go down: spent tokens are facts")
    if isinstance(changes.get("completion_tokens"), int) and changed.completion_tokens > 0:
        return attrs.evolve(
            changed,
            total_tokens=changed.completion_tokens + changed.prompt_tokens,
            time_spent=milliseconds_between(current.created_at, changed.updated_at),
        )
    return changed


def tokens_gained(current: Run, changed: Run) -> int:
    """The tokens an update adds to a run's total (recorded under ``tokens``); never less
    than 0."""
    return max(0, changed.total_tokens - current.total_tokens)


def completed(current: Any, changed: Any, changes: Mapping[str, Any] | None = None) -> Any:
    """A record whose ``status`` becomes ``completed`` gets ``time_spent`` (ms from
    ``created_at`` to the update)."""
    if changed.status == "completed" and current.status != "completed":
        return attrs.evolve(
            changed, time_spent=milliseconds_between(current.created_at, changed.updated_at)
        )
    return changed


def async_task_changed(
    current: AsyncTask, changed: AsyncTask, changes: Mapping[str, Any]
) -> AsyncTask:
    """``initial → in_progress → completed | failed``; another move is ``ValidationError``;
    completing sets ``time_spent``."""
    if changed.status != current.status and changed.status not in ASYNC_TASK_MOVES.get(
        current.status, frozenset()
    ):
        raise ValidationError("status", f"cannot move from {current.status} to {changed.status}")
    return completed(current, changed)  # type: ignore[no-any-return]


def check_thread_changes(changes: Iterable[str]) -> None:
    """A thread's update changes ``user_id`` only (``ValidationError`` naming another)."""
    for name in changes:
        if name not in THREAD_CHANGEABLE:
            raise ValidationError(name, "a thread's update changes user_id only")


def tool_call_message(call: ToolCall) -> str:
    """A tool call told as a message's content: the call and its output, as JSON."""
    return json.dumps(
        {
            "tool": {
                "tool_call_id": call.tool_call_id,
                "tool_type": call.tool_type,
                "name": call.name,
                "arguments": call.arguments,
            },
            "output": call.content,
        }
    )


def history_voice(agent: Agent | None, limit: int | None) -> tuple[str, int]:
    """The role a history gives tool calls and how many entries it holds: the agent's
    ``tool_call_role`` and ``num_of_messages`` (``limit`` when given)."""
    role = agent.tool_call_role if agent is not None else DEFAULT_TOOL_CALL_ROLE
    if limit is not None:
        return role, limit
    return role, agent.num_of_messages if agent is not None else DEFAULT_HISTORY_LENGTH


def history_tail(entries: Sequence[R], wanted: int) -> list[R]:
    """The last ``wanted`` entries in chronological order, a content told once (its first
    time)."""
    seen: set[str] = set()
    unique = []
    for entry in sorted(entries, key=lambda e: e.updated_at):
        if entry.content not in seen:
            seen.add(entry.content)
            unique.append(entry)
    return unique[-wanted:] if wanted > 0 else []


RUN_RULES: EntityRules[Run] = EntityRules(changed=run_changed)
TOOL_CALL_RULES: EntityRules[ToolCall] = EntityRules(changed=completed)
ASYNC_TASK_RULES: EntityRules[AsyncTask] = EntityRules(changed=async_task_changed)
