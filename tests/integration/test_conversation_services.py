"""Conversation rules (services.md, "Conversation records") and delete guards through the
services, on every adapter."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import pytest

from aace.domain.errors import HasDependents, NotFound, ValidationError
from aace.domain.tenancy import TenantContext
from tests.integration.records import AGENT, parents

pytestmark = pytest.mark.anyio


async def test_find_or_create_reuses_a_recent_thread_of_the_same_user(
    app: Any, context: TenantContext
) -> None:
    agent = await app.agents.create(context, AGENT)
    first = await app.threads.find_or_create(context, agent.agent_uuid, user_id="u1")
    assert await app.threads.find_or_create(context, agent.agent_uuid, user_id="u1") == first
    other_user = await app.threads.find_or_create(context, agent.agent_uuid, user_id="u2")
    assert other_user.thread_uuid != first.thread_uuid
    anonymous = await app.threads.find_or_create(context, agent.agent_uuid)
    assert anonymous.thread_uuid not in (first.thread_uuid, other_user.thread_uuid)
    expired = await app.threads.find_or_create(
        context, agent.agent_uuid, user_id="u1", reuse_within=timedelta(0)
    )
    assert expired.thread_uuid != first.thread_uuid
    named = await app.threads.find_or_create(
        context, agent.agent_uuid, thread_uuid=first.thread_uuid
    )
    assert named == first
    with pytest.raises(NotFound):
        await app.threads.find_or_create(context, agent.agent_uuid, thread_uuid="nowhere")
    another = await app.agents.create(context, AGENT)
    with pytest.raises(ValidationError) as caught:
        await app.threads.find_or_create(
            context, another.agent_uuid, thread_uuid=first.thread_uuid
        )
    assert caught.value.field == "thread_uuid"
    with pytest.raises(NotFound):  # a thread needs an agent of the tenant
        await app.threads.find_or_create(context, "no-such-agent", user_id="u1")


async def test_a_thread_update_changes_user_id_only(app: Any, context: TenantContext) -> None:
    made = await parents(app, context)
    thread = made["thread"]
    changed = await app.threads.update(context, thread.thread_uuid, {"user_id": "u9"})
    assert changed.user_id == "u9"
    assert changed.created_at == thread.created_at
    with pytest.raises(ValidationError) as caught:
        await app.threads.update(context, thread.thread_uuid, {"agent_uuid": "x"})
    assert caught.value.field == "agent_uuid"


async def test_run_tokens_total_and_time_spent(app: Any, context: TenantContext) -> None:
    run = (await parents(app, context))["run"]
    assert (run.completion_tokens, run.prompt_tokens, run.total_tokens) == (0, 0, 0)
    run = await app.runs.update(context, run.thread_uuid, run.run_uuid, {"prompt_tokens": 7})
    assert run.total_tokens == 0
    assert run.time_spent is None
    run = await app.runs.update(context, run.thread_uuid, run.run_uuid, {"completion_tokens": 5})
    assert run.total_tokens == 12
    assert run.time_spent is not None
    assert run.time_spent >= 0
    with pytest.raises(ValidationError) as caught:
        await app.runs.update(context, run.thread_uuid, run.run_uuid, {"total_tokens": 1})
    assert caught.value.field == "total_tokens"
    for token_type, low, high, found in (
        ("total", 12, 12, 1),
        ("total", 13, None, 0),
        ("completion", None, 5, 1),
        ("prompt", 8, None, 0),
    ):
        page = await app.runs.list(
            context,
            thread_uuid=run.thread_uuid,
            token_type=token_type,
            min_tokens=low,
            max_tokens=high,
        )
        assert len(page.items) == found, (token_type, low, high)
    with pytest.raises(ValidationError) as caught:
        await app.runs.list(context, thread_uuid=run.thread_uuid, token_type="cost", min_tokens=1)
    assert caught.value.field == "token_type"


async def test_tool_calls_complete_and_upsert_by_call_id(app: Any, context: TenantContext) -> None:
    made = await parents(app, context)
    thread, run = made["thread"], made["run"]
    call = await app.tool_calls.upsert_by_call_id(
        context,
        thread.thread_uuid,
        "call-1",
        {"run_uuid": run.run_uuid, "tool_type": "function", "name": "search"},
    )
    assert call.status == "initial"
    assert call.time_spent is None
    done = await app.tool_calls.upsert_by_call_id(
        context, thread.thread_uuid, "call-1", {"status": "completed", "content": "42"}
    )
    assert done.tool_call_uuid == call.tool_call_uuid
    assert done.status == "completed"
    assert done.time_spent is not None
    assert await app.tool_calls.count(context, thread_uuid=thread.thread_uuid) == 1
    with pytest.raises(NotFound):  # a tool call of a run that is not there
        await app.tool_calls.create(
            context,
            {
                "thread_uuid": thread.thread_uuid,
                "run_uuid": "nowhere",
                "tool_type": "f",
                "name": "n",
            },
        )


async def test_async_task_lifecycle(app: Any, context: TenantContext) -> None:
    task = await app.async_tasks.create(context, {"function_name": "summarise"})
    key = (task.function_name, task.async_task_uuid)
    with pytest.raises(ValidationError) as caught:
        await app.async_tasks.update(context, *key, {"status": "completed"})
    assert caught.value.field == "status"
    running = await app.async_tasks.update(context, *key, {"status": "in_progress"})
    assert running.time_spent is None
    done = await app.async_tasks.update(context, *key, {"status": "completed", "result": "ok"})
    assert done.time_spent is not None
    with pytest.raises(ValidationError):
        await app.async_tasks.update(context, *key, {"status": "in_progress"})
    other = await app.async_tasks.create(context, {"function_name": "summarise"})
    await app.async_tasks.update(
        context, "summarise", other.async_task_uuid, {"status": "in_progress"}
    )
    failed = await app.async_tasks.fail(context, "summarise", other.async_task_uuid, "boom")
    assert (failed.status, failed.notes) == ("failed", "boom")
    page = await app.async_tasks.list(context, function_name="summarise", statuses=["failed"])
    assert [t.async_task_uuid for t in page.items] == [other.async_task_uuid]


async def test_history_renders_tool_calls_drops_repeats_and_keeps_the_last(
    app: Any, context: TenantContext
) -> None:
    made = await parents(app, context)
    thread, run = made["thread"], made["run"]
    await app.runs.update(context, thread.thread_uuid, run.run_uuid, {"completion_tokens": 3})
    for text in ("one", "two", "two", "three"):
        await app.messages.create(
            context,
            {
                "thread_uuid": thread.thread_uuid,
                "run_uuid": run.run_uuid,
                "role": "user",
                "message": text,
            },
        )
    await app.tool_calls.create(
        context,
        {
            "thread_uuid": thread.thread_uuid,
            "run_uuid": run.run_uuid,
            "tool_type": "function",
            "name": "search",
            "tool_call_id": "c1",
            "arguments": "{}",
            "content": "found",
        },
    )
    history = await app.threads.history(context, thread.thread_uuid)
    assert [e.content for e in history[:3]] == ["one", "two", "three"]
    rendered = json.loads(history[3].content)
    assert rendered == {
        "tool": {
            "tool_call_id": "c1",
            "tool_type": "function",
            "name": "search",
            "arguments": "{}",
        },
        "output": "found",
    }
    assert history[3].role == "developer"  # the agent's tool_call_role
    assert all(e.completion_tokens == 3 and e.total_tokens == 3 for e in history)
    last_two = await app.threads.history(context, thread.thread_uuid, limit=2)
    assert [e.content for e in last_two] == [history[2].content, history[3].content]
    assert await app.threads.history(context, thread.thread_uuid, since=timedelta(0)) == []


async def test_deletes_are_guarded_and_cascade_removes_the_subtree(
    app: Any, context: TenantContext
) -> None:
    made = await parents(app, context)
    agent, thread, run = made["agent"], made["thread"], made["run"]
    message = await app.messages.create(
        context,
        {
            "thread_uuid": thread.thread_uuid,
            "run_uuid": run.run_uuid,
            "role": "user",
            "message": "hi",
        },
    )
    with pytest.raises(HasDependents):
        await app.runs.delete(context, thread.thread_uuid, run.run_uuid)
    with pytest.raises(HasDependents):
        await app.threads.delete(context, thread.thread_uuid)
    with pytest.raises(HasDependents):
        await app.agents.delete(context, agent.agent_version_uuid)
    await app.agents.delete(context, agent.agent_version_uuid, cascade=True)
    assert await app.agents.count_active(context) == 0
    assert await app.threads.find(context, thread.thread_uuid) is None
    assert await app.runs.find(context, thread.thread_uuid, run.run_uuid) is None
    assert await app.messages.find(context, thread.thread_uuid, message.message_uuid) is None


async def test_a_cascade_too_large_for_one_unit_runs_in_batches(
    app: Any, context: TenantContext
) -> None:
    made = await parents(app, context)
    thread, run = made["thread"], made["run"]
    batch = app.threads._store.unit_of_work().max_actions
    records = [
        app.messages.schema.entity(
            partition_key=context.partition_key,
            updated_by="t",
            thread_uuid=thread.thread_uuid,
            message_uuid=f"m{i:04d}",
            run_uuid=run.run_uuid,
            role="user",
            message=str(i),
        )
        for i in range(min(batch, 150) + 20)
    ]
    await app.threads._store.repository(app.messages.schema).put_many(records)
    await app.threads.delete(context, thread.thread_uuid, cascade=True)
    assert await app.messages.count(context, thread_uuid=thread.thread_uuid) == 0
    assert await app.threads.find(context, thread.thread_uuid) is None


async def test_no_run_outlives_its_thread_under_concurrency(
    app: Any, context: TenantContext
) -> None:
    """20 rounds of runs.create racing threads.delete: the run lands and the delete is
    refused, or the delete lands and the run is refused; never an orphan."""
    agent = await app.agents.create(context, AGENT)
    for _ in range(20):
        thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})

        async def create(t: Any = thread) -> Any:
            try:
                return await app.runs.create(context, {"thread_uuid": t.thread_uuid})
            except NotFound:
                return None

        async def delete(t: Any = thread) -> bool:
            try:
                await app.threads.delete(context, t.thread_uuid)
            except HasDependents:
                return False
            return True

        run, deleted = await asyncio.gather(create(), delete())
        assert (run is None) == deleted
        runs = await app.runs.count(context, thread_uuid=thread.thread_uuid)
        assert runs == (0 if deleted else 1)
        assert (await app.threads.find(context, thread.thread_uuid) is None) == deleted
