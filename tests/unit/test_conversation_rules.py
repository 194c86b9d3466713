"""The conversation records' rules, pure: runs' tokens and totals, completion times, the
async-task state machine, a thread's changeable field and how a history is told."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.conversation_rules import (
    ASYNC_TASK_MOVES,
    ASYNC_TASK_RULES,
    RUN_RULES,
    TOOL_CALL_RULES,
    async_task_changed,
    check_thread_changes,
    completed,
    history_tail,
    history_voice,
    milliseconds_between,
    run_changed,
    tokens_gained,
    tool_call_message,
)
from aace.domain.entities import AGENTS, ASYNC_TASKS, RUNS, TOOL_CALLS, Run
from aace.domain.errors import ValidationError
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

TENANT = PartitionKey("ep", "part")
START = datetime(2026, 1, 1, tzinfo=UTC)
tokens = st.integers(min_value=0, max_value=10**9)


def _run(**fields: Any) -> Run:
    return sample(RUNS, TENANT, created_at=START, updated_at=START, **fields)


def _update(current: Any, after: timedelta = timedelta(seconds=2), /, **changes: Any) -> Any:
    """``current`` with ``changes`` applied at ``START + after``, as a service applies them."""
    return attrs.evolve(current, updated_at=START + after, **changes)


@given(tokens, tokens, tokens, tokens)
def test_a_run_completing_gets_its_total_and_time(
    completion: int, prompt: int, more_completion: int, more_prompt: int
) -> None:
    current = _run(completion_tokens=completion, prompt_tokens=prompt)
    changes = {
        "completion_tokens": completion + more_completion + 1,
        "prompt_tokens": prompt + more_prompt,
    }
    done = run_changed(current, _update(current, **changes), changes)
    assert done.total_tokens == sum(changes.values())
    assert done.time_spent == 2000
    assert tokens_gained(current, done) == done.total_tokens - current.total_tokens


def test_a_run_without_completion_tokens_keeps_its_total() -> None:
    current = _run(prompt_tokens=3)
    changes = {"prompt_tokens": 5}
    changed = _update(current, **changes)
    assert run_changed(current, changed, changes) is changed
    assert RUN_RULES.changed(current, changed, changes).total_tokens == 0


@pytest.mark.parametrize("name", ["completion_tokens", "prompt_tokens"])
def test_spent_tokens_never_go_down(name: str) -> None:
    current = _run(**{name: 10})
    with pytest.raises(ValidationError) as caught:
        run_changed(current, _update(current, **{name: 9}), {name: 9})
    assert caught.value.field == name


@given(tokens, tokens)
def test_tokens_gained_is_never_negative(before: int, after: int) -> None:
    gained = tokens_gained(_run(total_tokens=before), _run(total_tokens=after))
    assert gained == max(0, after - before)


def test_completing_a_tool_call_sets_its_time_once() -> None:
    current = sample(TOOL_CALLS, TENANT, created_at=START, updated_at=START)
    done = completed(current, _update(current, timedelta(seconds=1), status="completed"))
    assert done.time_spent == 1000
    again = TOOL_CALL_RULES.changed(done, _update(done, timedelta(seconds=5)), {})
    assert again.time_spent == 1000  # already completed: unchanged


statuses = st.sampled_from(["initial", "in_progress", "completed", "failed"])


@given(statuses, statuses)
def test_async_tasks_move_only_forward(old: str, new: str) -> None:
    current = sample(ASYNC_TASKS, TENANT, status=old, created_at=START, updated_at=START)
    changed = _update(current, status=new)
    allowed = new == old or new in ASYNC_TASK_MOVES.get(old, frozenset())
    if not allowed:
        with pytest.raises(ValidationError, match=f"cannot move from {old} to {new}"):
            async_task_changed(current, changed, {"status": new})
        return
    result = ASYNC_TASK_RULES.changed(current, changed, {"status": new})
    expect_time = new == "completed" and old != "completed"
    assert (result.time_spent is not None) == expect_time


def test_milliseconds_between() -> None:
    assert milliseconds_between(START, START + timedelta(milliseconds=1500)) == 1500


def test_a_thread_changes_user_id_only() -> None:
    check_thread_changes({"user_id": "u"})
    with pytest.raises(ValidationError) as caught:
        check_thread_changes({"user_id": "u", "agent_uuid": "a"})
    assert caught.value.field == "agent_uuid"


def test_a_tool_call_is_told_as_json() -> None:
    call = sample(TOOL_CALLS, TENANT, tool_call_id="c1", arguments="{}", content="out")
    told = json.loads(tool_call_message(call))
    assert told == {
        "tool": {
            "tool_call_id": "c1",
            "tool_type": call.tool_type,
            "name": call.name,
            "arguments": "{}",
        },
        "output": "out",
    }


def test_history_voice_follows_the_agent() -> None:
    agent = sample(AGENTS, TENANT, tool_call_role="tool", num_of_messages=4)
    assert history_voice(agent, None) == ("tool", 4)
    assert history_voice(agent, 2) == ("tool", 2)
    assert history_voice(None, None) == ("developer", 10)


@attrs.frozen
class _Entry:
    content: str
    updated_at: datetime


@given(
    st.lists(st.tuples(st.sampled_from("abcde"), st.integers(0, 50)), max_size=20),
    st.integers(-1, 25),
)
def test_history_tail_is_the_latest_distinct_entries_in_order(
    raw: list[tuple[str, int]], wanted: int
) -> None:
    entries = [_Entry(c, START + timedelta(seconds=s)) for c, s in raw]
    tail = history_tail(entries, wanted)
    assert [e.updated_at for e in tail] == sorted(e.updated_at for e in tail)
    assert len({e.content for e in tail}) == len(tail)
    distinct = len({e.content for e in entries})
    assert len(tail) == (min(wanted, distinct) if wanted > 0 else 0)
