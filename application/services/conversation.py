"""Conversation records: threads, runs, messages, tool calls and async tasks, with the
platform's rules (services.md, "Conversation records")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import (
    Actor,
    Cursor,
    Id,
    Input,
    KeyAndChanges,
    OptionalFlag,
    OptionalId,
    OptionalMoment,
    OptionalPageSize,
    PageSize,
    Text,
    Window,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec, generated_service
from aace.application.services.listing import Listing, at_least, at_most, eq, one_of
from aace.domain.entities import (
    AGENTS,
    ASYNC_TASKS,
    MESSAGES,
    RUNS,
    THREADS,
    TOOL_CALLS,
    AsyncTask,
    Run,
    Thread,
    ToolCall,
)
from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.query import MAX_PAGE_SIZE, Page, Query, RangeCondition
from aace.domain.tenancy import TenantContext

__all__ = [
    "AsyncTaskService",
    "HistoryEntry",
    "MessageService",
    "RunService",
    "ThreadService",
    "ToolCallService",
]

_TOKENS = {"completion": "completion_tokens", "prompt": "prompt_tokens", "total": "total_tokens"}
_TASK_MOVES = {"initial": {"in_progress"}, "in_progress": {"completed", "failed"}}


def _ms_since(moment: datetime) -> float:
    return (utc_now() - moment).total_seconds() * 1000


@attrs.frozen
class HistoryEntry:
    """One entry of a thread's history: a message, or a tool call rendered as one."""

    role: str
    content: str
    updated_at: datetime
    run_uuid: str
    completion_tokens: int
    prompt_tokens: int
    total_tokens: int


@checked_entry_points
class ThreadService(EntityService[Thread]):
    """Threads of an agent. They keep ``created_at`` only; ``update`` changes ``user_id``."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        THREADS,
        Listing(
            {"agent_uuid": eq("agent_uuid"), "user_id": eq("user_id")},
            order="created_at",
            descending=True,
        ),
    )

    async def find_or_create(
        self,
        context: TenantContext,
        agent_uuid: Id,
        *,
        thread_uuid: OptionalId = None,
        user_id: OptionalId = None,
        reuse_within: Window = timedelta(minutes=30),
    ) -> Thread:
        """The thread to continue: ``thread_uuid`` when given (it must exist and be this
        agent's); else the newest thread of this agent and user created within
        ``reuse_within``; else a new one."""
        if not isinstance(reuse_within, timedelta):
            raise ValidationError("reuse_within", "must be a timedelta")
        if thread_uuid is not None:
            thread = await self.get(context, thread_uuid)
            if thread.agent_uuid != agent_uuid:
                raise ValidationError("thread_uuid", f"belongs to another agent than {agent_uuid}")
            return thread
        if user_id is not None:
            recent = await self.list(
                context,
                agent_uuid=agent_uuid,
                user_id=user_id,
                created_after=utc_now() - reuse_within,
                limit=1,
            )
            if recent.items:
                return recent.items[0]
        return await self.create(context, {"agent_uuid": agent_uuid, "user_id": user_id})

    async def update(
        self,
        context: Actor,
        *key_and_changes: KeyAndChanges,
        expected_updated_at: OptionalMoment = None,
    ) -> Thread:
        """Threads change ``user_id`` only."""
        _, changes = self._split(key_and_changes)
        for name in changes:
            if name != "user_id":
                raise ValidationError(name, "a thread's update changes user_id only")
        return await super().update(
            context, *key_and_changes, expected_updated_at=expected_updated_at
        )

    async def history(
        self,
        context: TenantContext,
        thread_uuid: Id,
        *,
        limit: OptionalPageSize = None,
        since: Window = timedelta(hours=24),
    ) -> list[HistoryEntry]:
        """The thread's messages and tool calls since ``since`` ago, tool calls rendered as
        messages (the agent's ``tool_call_role``), repeated contents dropped, the last
        ``limit`` (default: the agent's ``num_of_messages``) in chronological order."""
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValidationError("limit", "must be an integer or None")
        if not isinstance(since, timedelta):
            raise ValidationError("since", "must be a timedelta")
        tenant = context.partition_key
        thread = await self.get(context, thread_uuid)
        agents = self._store.repository(AGENTS)
        versions = await agents.query(
            tenant,
            Query(
                index="agent_uuid-index",
                range=RangeCondition.eq(thread.agent_uuid),
                filters={"status": "active"},
                limit=1,
            ),
        )
        agent = versions.items[0] if versions.items else None
        role = agent.tool_call_role if agent is not None else "developer"
        wanted = limit if limit is not None else (agent.num_of_messages if agent else 10)
        start = utc_now() - since
        runs = {r.run_uuid: r for r in await self._all(RUNS, context, thread_uuid, None)}
        entries: list[HistoryEntry] = []
        for message in await self._all(MESSAGES, context, thread_uuid, start):
            entries.append(_entry(message.role, message.message, message, runs))
        for call in await self._all(TOOL_CALLS, context, thread_uuid, start):
            content = json.dumps(
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
            entries.append(_entry(role, content, call, runs))
        entries.sort(key=lambda e: e.updated_at)
        seen: set[str] = set()
        unique = []
        for entry in entries:
            if entry.content not in seen:
                seen.add(entry.content)
                unique.append(entry)
        return unique[-wanted:] if wanted > 0 else []

    async def _all(
        self, schema: Any, context: TenantContext, thread_uuid: str, start: datetime | None
    ) -> list[Any]:
        """Every record of ``schema`` under the thread (updated after ``start``)."""
        repository = self._store.repository(schema)
        range_ = None if start is None else RangeCondition.gt(start)
        index = None if start is None else "updated_at-index"
        query = Query(index=index, parent=thread_uuid, range=range_, limit=MAX_PAGE_SIZE)
        found: list[Any] = []
        while True:
            page = await repository.query(context.partition_key, query)
            found.extend(page.items)
            if page.next_cursor is None:
                return found
            query = attrs.evolve(query, cursor=page.next_cursor)


def _entry(role: str, content: str, record: Any, runs: Mapping[str, Run]) -> HistoryEntry:
    run = runs.get(record.run_uuid)
    return HistoryEntry(
        role=role,
        content=content,
        updated_at=record.updated_at,
        run_uuid=record.run_uuid,
        completion_tokens=run.completion_tokens if run else 0,
        prompt_tokens=run.prompt_tokens if run else 0,
        total_tokens=run.total_tokens if run else 0,
    )


@checked_entry_points
class RunService(EntityService[Run]):
    """Runs of a thread. An update giving ``completion_tokens > 0`` sets ``total_tokens``
    and ``time_spent`` (ms since ``created_at``)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        RUNS,
        Listing(
            {
                "thread_uuid": eq("thread_uuid"),
                "run_id": eq("run_id"),
                **{f"min_{t}_tokens": at_least(f"{t}_tokens") for t in _TOKENS},
                **{f"max_{t}_tokens": at_most(f"{t}_tokens") for t in _TOKENS},
            },
            descending=True,
        ),
    )

    async def list(
        self,
        context: Actor,
        *,
        order_by: OptionalId = None,
        descending: OptionalFlag = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
        **filters: Any,
    ) -> Page[Run]:
        """As every ``list``; also ``token_type`` (completion, prompt or total; default
        total) with ``min_tokens`` / ``max_tokens`` (inclusive)."""
        return await super().list(
            context,
            order_by=order_by,
            descending=descending,
            limit=limit,
            cursor=cursor,
            **_token_filters(filters),
        )

    async def count(self, context: Actor, **filters: Any) -> int:
        """As every ``count``, with the token filters of :meth:`list`."""
        return await super().count(context, **_token_filters(filters))

    def _managed_names(self) -> set[str]:
        return {"total_tokens", "time_spent"}

    def _changed(self, current: Run, changed: Run, changes: Mapping[str, Any]) -> Run:
        if isinstance(changes.get("completion_tokens"), int) and changed.completion_tokens > 0:
            return attrs.evolve(
                changed,
                total_tokens=changed.completion_tokens + changed.prompt_tokens,
                time_spent=_ms_since(current.created_at),
            )
        return changed


def _token_filters(options: Mapping[str, Any]) -> dict[str, Any]:
    """``token_type`` / ``min_tokens`` / ``max_tokens`` as the range keywords of one count."""
    options = dict(options)
    token_type = options.pop("token_type", None)
    token_type = "total" if token_type is None else token_type
    if not isinstance(token_type, str) or token_type not in _TOKENS:
        raise ValidationError("token_type", f"must be one of {', '.join(_TOKENS)}")
    for bound in ("min", "max"):
        value = options.pop(f"{bound}_tokens", None)
        if value is not None:
            options[f"{bound}_{token_type}_tokens"] = value
    return options


MessageService = generated_service(
    "MessageService",
    ServiceSpec(
        MESSAGES,
        Listing(
            {
                "thread_uuid": eq("thread_uuid"),
                "run_uuid": eq("run_uuid"),
                "message_id": eq("message_id"),
                "roles": one_of("role"),
            }
        ),
    ),
)


def _completed(current: Any, changed: Any) -> Any:
    """A record whose status becomes ``completed`` gets ``time_spent``."""
    if changed.status == "completed" and current.status != "completed":
        return attrs.evolve(changed, time_spent=_ms_since(current.created_at))
    return changed


@checked_entry_points
class ToolCallService(EntityService[ToolCall]):
    """Tool calls of a run; completing one sets ``time_spent``."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        TOOL_CALLS,
        Listing(
            {
                "thread_uuid": eq("thread_uuid"),
                "run_uuid": eq("run_uuid"),
                "tool_call_id": eq("tool_call_id"),
                "tool_type": eq("tool_type"),
                "name": eq("name"),
                "statuses": one_of("status"),
            },
            descending=True,
        ),
    )

    def _managed_names(self) -> set[str]:
        return {"time_spent"}

    def _changed(self, current: ToolCall, changed: ToolCall, changes: Any) -> ToolCall:
        return _completed(current, changed)  # type: ignore[no-any-return]

    async def upsert_by_call_id(
        self, context: TenantContext, thread_uuid: Id, tool_call_id: Id, data: Input
    ) -> ToolCall:
        """Update the thread's tool call with this external ``tool_call_id``, or create it."""
        page = await self.list(
            context, thread_uuid=thread_uuid, tool_call_id=tool_call_id, limit=1
        )
        if page.items:
            found = page.items[0]
            return await self.update(context, thread_uuid, found.tool_call_uuid, data)
        return await self.create(
            context, {**data, "thread_uuid": thread_uuid, "tool_call_id": tool_call_id}
        )


@checked_entry_points
class AsyncTaskService(EntityService[AsyncTask]):
    """Async tasks: ``initial → in_progress → completed | failed``; other moves are
    ``ValidationError``; completing sets ``time_spent``."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        ASYNC_TASKS,
        Listing(
            {"function_name": eq("function_name"), "statuses": one_of("status")},
            descending=True,
        ),
    )

    def _managed_names(self) -> set[str]:
        return {"time_spent"}

    def _changed(self, current: AsyncTask, changed: AsyncTask, changes: Any) -> AsyncTask:
        if changed.status != current.status and changed.status not in _TASK_MOVES.get(
            current.status, set()
        ):
            raise ValidationError(
                "status", f"cannot move from {current.status} to {changed.status}"
            )
        return _completed(current, changed)  # type: ignore[no-any-return]

    async def fail(
        self, context: TenantContext, function_name: Id, async_task_uuid: Id, error: Text
    ) -> AsyncTask:
        """Mark the task ``failed`` with ``error`` in its ``notes``."""
        if not isinstance(error, str):
            raise ValidationError("error", "must be text")
        return await self.update(
            context, function_name, async_task_uuid, {"status": "failed", "notes": error}
        )
