"""A child created while its parent's guarded delete is under way (the parent carries a live
deletion mark) is refused as ``NotFound``, as on every adapter: whatever the parent's check
compares (an agent is required through its active version, a thread or a run by its key)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.adapters.dynamodb.deletion_marks import mark_parent, unmark_parent
from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, RUNS, THREADS
from aace.domain.errors import NotFound
from aace.domain.ports import PRESENT
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext
from aace.domain.unit_of_work import DeleteAction

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _refused_while_marked(
    store: DynamoStore, schema: EntitySchema[Any], parent: Any, create: Any
) -> Any:
    """``create()`` while ``parent`` is marked is ``NotFound`` (exactly); once the mark is
    gone, it lands."""
    tenant: PartitionKey = parent.partition_key
    delete = DeleteAction(schema, tenant, schema.key_of(parent), PRESENT)
    mark = await mark_parent(store.runner, store.target, delete)
    with pytest.raises(NotFound) as refused:
        await create()
    assert type(refused.value) is NotFound
    await unmark_parent(store.runner, store.target, delete, mark)
    return await create()


async def test_children_of_a_parent_being_deleted_are_not_found(
    dynamo_store: DynamoStore, tenant: PartitionKey
) -> None:
    app = SimpleNamespace(**wire_services(Settings(), dynamo_store))
    context = TenantContext(tenant, updated_by="alice")
    agent = await app.agents.create(context, AGENT)
    thread = await _refused_while_marked(
        dynamo_store,
        AGENTS,
        agent,
        lambda: app.threads.create(context, {"agent_uuid": agent.agent_uuid}),
    )
    run = await _refused_while_marked(
        dynamo_store,
        THREADS,
        thread,
        lambda: app.runs.create(context, {"thread_uuid": thread.thread_uuid}),
    )
    message = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
    await _refused_while_marked(
        dynamo_store,
        RUNS,
        run,
        lambda: app.messages.create(context, {**message, "role": "user", "message": "m"}),
    )
