"""Conversation records: runs, messages, tool calls and async tasks, with the
platform's rules (services.md, "Conversation records")."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import (
    Id,
    Input,
    Text,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec, tenant_of
from aace.application.services.generated import generated_service
from aace.application.services.listing import Listing, at_least, at_most, eq, one_of
from aace.application.services.usage import Metering
from aace.application.settings import Settings
from aace.domain.entities import (
    ASYNC_TASKS,
    MESSAGES,
    RUNS,
    TOOL_CALLS,
    AsyncTask,
    Run,
    ToolCall,
)
from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.ports import Store, UnitOfWork
from aace.domain.tenancy import TenantContext

__all__ = [
    "AsyncTaskService",
    "MessageService",
    "RunService",
    "ToolCallService",
]

_TOKENS = {"completion": "completion_tokens", "prompt": "prompt_tokens", "total": "total_tokens"}
_TASK_MOVES = {"initial": {"in_progress"}, "in_progress": {"completed", "failed"}}


def _ms_since(moment: datetime) -> float:
    return (utc_now() - moment).total_seconds() * 1000


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
        managed=frozenset({"total_tokens", "time_spent"}),
    )

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._metering = Metering(store, settings.clock)

    async def _also_on_create(self, uow: UnitOfWork, context: Any, entity: Run) -> None:
        """The quota bites before work starts: ``LimitExceeded`` while the period's
        ``tokens`` or ``runs`` total is at an active limit without overage; the run counts
        one under ``runs``."""
        tenant = tenant_of(context)
        limits = {key: await self._metering.limits(tenant, key) for key in ("tokens", "runs")}
        await self._metering.refuse_if_over(tenant, limits)
        self._metering.add(uow, tenant, "runs", 1, limits["runs"])

    async def _also_on_update(
        self, uow: UnitOfWork, context: Any, current: Run, changed: Run
    ) -> None:
        """Spent tokens are facts: the tokens a run's total gains are recorded under
        ``tokens`` in the same unit of work, never refused (exactly once: a retried update
        finds them recorded and adds nothing)."""
        gained = changed.total_tokens - current.total_tokens
        if gained > 0:
            self._metering.add(uow, tenant_of(context), "tokens", gained, {})

    def _keywords(self, filters: Mapping[str, Any]) -> Mapping[str, Any]:
        """``token_type`` (completion, prompt or total; default total) with
        ``min_tokens`` / ``max_tokens`` (inclusive): a range on that count."""
        return _token_filters(filters)

    def _changed(self, current: Run, changed: Run, changes: Mapping[str, Any]) -> Run:
        for name in ("completion_tokens", "prompt_tokens"):
            if getattr(changed, name) < getattr(current, name):
                raise ValidationError(name, "cannot go down: spent tokens are facts")
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
        managed=frozenset({"time_spent"}),
    )

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
        managed=frozenset({"time_spent"}),
    )

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
