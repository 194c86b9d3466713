"""Threads: find-or-create with a reuse window, and a thread's history (services.md,
"Conversation records")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import (
    Actor,
    Id,
    KeyAndChanges,
    OptionalId,
    OptionalMoment,
    OptionalPageSize,
    Window,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.listing import Listing, eq
from aace.domain.conversation_rules import (
    check_thread_changes,
    history_tail,
    history_voice,
    tool_call_message,
)
from aace.domain.entities import AGENTS, MESSAGES, RUNS, THREADS, TOOL_CALLS, Run, Thread
from aace.domain.entities.base import WebRecord
from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.ports import find_active, read_all
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import TenantContext

__all__ = ["HistoryEntry", "ThreadService"]


@attrs.frozen
class HistoryEntry(WebRecord):
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
            thread: Thread = await self.get(context, thread_uuid)
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
        check_thread_changes(changes)
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
        agent = await find_active(agents, tenant, "agent_uuid", thread.agent_uuid)
        role, wanted = history_voice(agent, limit)
        start = utc_now() - since
        runs = {r.run_uuid: r for r in await self._all(RUNS, context, thread_uuid, None)}
        entries: list[HistoryEntry] = []
        for message in await self._all(MESSAGES, context, thread_uuid, start):
            entries.append(_entry(message.role, message.message, message, runs))
        for call in await self._all(TOOL_CALLS, context, thread_uuid, start):
            entries.append(_entry(role, tool_call_message(call), call, runs))
        return history_tail(entries, wanted)

    async def _all(
        self, schema: Any, context: TenantContext, thread_uuid: str, start: datetime | None
    ) -> list[Any]:
        """Every record of ``schema`` under the thread (updated after ``start``)."""
        repository = self._store.repository(schema)
        range_ = None if start is None else RangeCondition.gt(start)
        index = None if start is None else "updated_at-index"
        query = Query(index=index, parent=thread_uuid, range=range_)
        return await read_all(repository, context.partition_key, query)


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
