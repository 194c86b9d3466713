"""``create(ctx, data, *, id=None)``: a caller-chosen id where the platform's API takes one
(validated like a generated id; a taken id is ``Conflict``); refused where the package
makes the keys (natural keys, versioned entities)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.errors import Conflict, ValidationError
from aace.domain.tenancy import TenantContext

pytestmark = pytest.mark.anyio


@pytest.fixture
def app(store) -> SimpleNamespace:
    return SimpleNamespace(**wire_services(Settings(), store))


async def test_a_chosen_id_is_the_records_own_and_taken_once(app, tenant, other_tenant) -> None:
    ctx = TenantContext(tenant, "alice")
    made = await app.coordinations.create(ctx, {"coordination_name": "c"}, id="coord-1")
    assert made.coordination_uuid == "coord-1"
    task = await app.tasks.create(
        ctx,
        {"coordination_uuid": "coord-1", "task_name": "t", "initial_task_query": "q"},
        id="task-1",
    )
    assert (task.coordination_uuid, task.task_uuid) == ("coord-1", "task-1")
    element = await app.elements.create(
        ctx,
        {
            "data_type": "d",
            "element_title": "e",
            "attribute_name": "a",
            "attribute_type": "s",
        },
        id="el-1",
    )
    assert element.element_uuid == "el-1"
    with pytest.raises(Conflict):
        await app.coordinations.create(ctx, {"coordination_name": "again"}, id="coord-1")
    assert (await app.coordinations.get(ctx, "coord-1")).coordination_name == "c"
    # another tenant's table space is its own
    other = TenantContext(other_tenant, "bob")
    assert await app.coordinations.create(other, {"coordination_name": "o"}, id="coord-1")


async def test_a_chosen_id_is_validated_and_refused_where_keys_are_the_packages(
    app, tenant
) -> None:
    ctx = TenantContext(tenant, "alice")
    with pytest.raises(ValidationError) as bad:
        await app.coordinations.create(ctx, {"coordination_name": "c"}, id=" \x00")
    assert bad.value.field in ("coordination_uuid", "id")
    with pytest.raises(ValidationError) as versioned:
        await app.agents.create(
            ctx, {"agent_name": "a", "llm_provider": "p", "llm_name": "n"}, id="agent-1"
        )
    assert versioned.value.field == "id"
    with pytest.raises(ValidationError):
        await app.fine_tuning_messages.create(
            ctx,
            {"agent_uuid": "a", "message_uuid": "m", "thread_uuid": "t", "role": "user"},
            id="x",
        )
