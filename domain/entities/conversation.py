"""Conversation tables, hashed on a parent uuid (the thread, the function for async tasks, the
agent for fine-tuning messages).

Their hash key is not the tenant, so adapters check ``partition_key`` on every read and make
every write conditional on it (behaviour.md §2).
"""

from __future__ import annotations

from datetime import datetime

import attrs

from aace.domain.entities.base import (
    AuditedEntity,
    Entity,
    epoch_seconds,
    flag,
    gsi,
    lsi,
    status_field,
    updated_by_field,
)
from aace.domain.fields import (
    JsonList,
    JsonMap,
    id_field,
    integer,
    json_list,
    json_map,
    optional_id,
    optional_number,
    optional_text,
    text,
)
from aace.domain.fields import timestamp as utc_timestamp
from aace.domain.schema import EntitySchema, TableGroup

__all__ = [
    "ASYNC_TASKS",
    "FINE_TUNING_MESSAGES",
    "MESSAGES",
    "RUNS",
    "TOOL_CALLS",
    "AsyncTask",
    "FineTuningMessage",
    "Message",
    "Run",
    "ToolCall",
]


@attrs.frozen(kw_only=True)
class Run(AuditedEntity):
    thread_uuid: str = id_field()
    run_uuid: str = id_field()
    run_id: str | None = optional_text()
    completion_tokens: int = integer(default=0)
    prompt_tokens: int = integer(default=0)
    total_tokens: int = integer(default=0)
    time_spent: float | None = optional_number()


RUNS = EntitySchema(
    name="runs",
    entity=Run,
    group=TableGroup.AGENT,
    hash_key="thread_uuid",
    range_key="run_uuid",
    indexes=(lsi("updated_at-index", "updated_at", hash_key="thread_uuid"),),
)


@attrs.frozen(kw_only=True)
class Message(AuditedEntity):
    thread_uuid: str = id_field()
    message_uuid: str = id_field()
    run_uuid: str = id_field()
    message_id: str | None = optional_text()
    role: str = text(nonblank=True)
    message: str = text()


MESSAGES = EntitySchema(
    name="messages",
    entity=Message,
    group=TableGroup.AGENT,
    hash_key="thread_uuid",
    range_key="message_uuid",
    indexes=(
        lsi("run_uuid-index", "run_uuid", hash_key="thread_uuid"),
        lsi("updated_at-index", "updated_at", hash_key="thread_uuid"),
    ),
)


@attrs.frozen(kw_only=True)
class ToolCall(AuditedEntity):
    thread_uuid: str = id_field()
    tool_call_uuid: str = id_field()
    run_uuid: str = id_field()
    tool_call_id: str | None = optional_text()
    tool_type: str = text(nonblank=True)
    name: str = text(nonblank=True)
    arguments: str | None = optional_text()
    content: str | None = optional_text()
    status: str = status_field("initial")
    notes: str | None = optional_text()
    time_spent: float | None = optional_number()


TOOL_CALLS = EntitySchema(
    name="tool_calls",
    entity=ToolCall,
    group=TableGroup.AGENT,
    hash_key="thread_uuid",
    range_key="tool_call_uuid",
    indexes=(
        lsi("run_uuid-index", "run_uuid", hash_key="thread_uuid"),
        lsi("updated_at-index", "updated_at", hash_key="thread_uuid"),
    ),
)


@attrs.frozen(kw_only=True)
class AsyncTask(AuditedEntity):
    function_name: str = id_field()
    async_task_uuid: str = id_field()
    arguments: JsonMap | None = json_map(optional=True, default=None)
    result: str | None = optional_text()
    output_files: JsonList = json_list()
    status: str = status_field("initial")
    notes: str | None = optional_text()
    time_spent: float | None = optional_number()


ASYNC_TASKS = EntitySchema(
    name="async_tasks",
    entity=AsyncTask,
    group=TableGroup.AGENT,
    hash_key="function_name",
    range_key="async_task_uuid",
    indexes=(gsi("partition_key-updated_at-index", "partition_key", "updated_at"),),
)


@attrs.frozen(kw_only=True)
class FineTuningMessage(Entity):
    """A message kept for fine-tuning an agent, keyed by (``agent_uuid``, ``message_uuid``).
    ``timestamp`` is whole epoch seconds, set by the package; no ``created_at`` (deployed
    layout)."""

    agent_uuid: str = id_field()
    message_uuid: str = id_field()
    thread_uuid: str = id_field()
    timestamp: int = epoch_seconds()
    role: str = text(nonblank=True)
    tool_calls: JsonList | None = json_list(optional=True)
    tool_call_uuid: str | None = optional_id()
    content: str | None = optional_text()
    weight: int = integer(default=0)
    trained: bool = flag(default=False)
    updated_by: str = updated_by_field()
    updated_at: datetime = utc_timestamp()


FINE_TUNING_MESSAGES = EntitySchema(
    name="fine_tuning_messages",
    entity=FineTuningMessage,
    group=TableGroup.AGENT,
    hash_key="agent_uuid",
    range_key="message_uuid",
    indexes=(
        lsi("thread_uuid-index", "thread_uuid", hash_key="agent_uuid"),
        lsi("timestamp-index", "timestamp", hash_key="agent_uuid"),
    ),
)
