"""Conversation records: runs, messages, tool calls and async tasks, with the
platform's rules (services.md, "Conversation records")."""

from __future__ import annotations

from typing import Any, ClassVar

from injector import inject

from aace.application.services.arguments import (
    Id,
    Input,
    Text,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec, tenant_of
from aace.application.services.listing import Choice, Listing, at_least, at_most, eq, one_of
from aace.application.services.usage import Metering
from aace.application.settings import Settings
from aace.domain.conversation_rules import (
    ASYNC_TASK_RULES,
    RUN_QUOTA_KEYS,
    RUN_RULES,
    TOKEN_TYPES,
    TOOL_CALL_RULES,
    tokens_gained,
)
from aace.domain.entities import (
    ASYNC_TASKS,
    MESSAGES,
    RUNS,
    TOOL_CALLS,
    AsyncTask,
    Message,
    Run,
    ToolCall,
)
from aace.domain.errors import ValidationError
from aace.domain.ports import Store, UnitOfWork
from aace.domain.tenancy import TenantContext

__all__ = [
    "AsyncTaskService",
    "MessageService",
    "RunService",
    "ToolCallService",
]

#: ``min_tokens`` / ``max_tokens`` bound the count ``token_type`` picks (total by default).
_TOKEN_TYPE = Choice(
    "token_type",
    tuple(TOKEN_TYPES),
    default="total",
    stands_for={"min_tokens": "min_{}_tokens", "max_tokens": "max_{}_tokens"},
)


@checked_entry_points
class RunService(EntityService[Run]):
    """Runs of a thread. An update giving ``completion_tokens > 0`` sets ``total_tokens``
    and ``time_spent`` (ms since ``created_at``); ``token_type`` (completion, prompt or
    total; default total) with ``min_tokens`` / ``max_tokens`` (inclusive) lists a range
    on that count. Creating a run and spending tokens are metered (``app.usage``)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        RUNS,
        Listing(
            {
                "thread_uuid": eq("thread_uuid"),
                "run_id": eq("run_id"),
                **{f"min_{t}_tokens": at_least(f"{t}_tokens") for t in TOKEN_TYPES},
                **{f"max_{t}_tokens": at_most(f"{t}_tokens") for t in TOKEN_TYPES},
            },
            descending=True,
            choices=(_TOKEN_TYPE,),
        ),
        managed=frozenset({"total_tokens", "time_spent"}),
        rules=RUN_RULES,
    )

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._metering = Metering(store, settings.clock)

    async def _also_on_create(self, uow: UnitOfWork, context: Any, entity: Run) -> None:
        """The quota bites before work starts: ``LimitExceeded`` while the period's
        ``tokens`` or ``runs`` total is at an active limit without overage; the run counts
        one under ``runs``."""
        tenant = tenant_of(context)
        limits = {key: await self._metering.limits(tenant, key) for key in RUN_QUOTA_KEYS}
        await self._metering.refuse_if_over(tenant, limits)
        self._metering.add(uow, tenant, "runs", 1, limits["runs"])

    async def _also_on_update(
        self, uow: UnitOfWork, context: Any, current: Run, changed: Run
    ) -> None:
        """Spent tokens are facts: the tokens a run's total gains are recorded under
        ``tokens`` in the same unit of work, never refused (exactly once: a retried update
        finds them recorded and adds nothing)."""
        gained = tokens_gained(current, changed)
        if gained:
            self._metering.add(uow, tenant_of(context), "tokens", gained, {})


class MessageService(EntityService[Message]):
    """A thread's messages."""

    spec = ServiceSpec(
        MESSAGES,
        Listing(
            {
                "thread_uuid": eq("thread_uuid"),
                "run_uuid": eq("run_uuid"),
                "message_id": eq("message_id"),
                "roles": one_of("role"),
            }
        ),
    )


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
        managed=frozenset({"time_spent"}),
        rules=TOOL_CALL_RULES,
    )

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
        managed=frozenset({"time_spent"}),
        rules=ASYNC_TASK_RULES,
    )

    async def fail(
        self, context: TenantContext, function_name: Id, async_task_uuid: Id, error: Text
    ) -> AsyncTask:
        """Mark the task ``failed`` with ``error`` in its ``notes``."""
        if not isinstance(error, str):
            raise ValidationError("error", "must be text")
        return await self.update(
            context, function_name, async_task_uuid, {"status": "failed", "notes": error}
        )
