"""Every bad field of a create is in one ``ValidationError`` (``errors`` in field order,
``field`` the first), on every adapter, and nothing is written."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from aace.domain.entities import AGENTS, TENANT_COUNTERS
from aace.domain.errors import FieldError, ValidationError
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import TenantContext

pytestmark = pytest.mark.anyio


async def test_a_create_with_three_bad_fields_names_all_three_and_writes_nothing(
    app: SimpleNamespace, store: Store, context: TenantContext
) -> None:
    data = {
        "bogus": 1,  # unknown
        "agent_name": "",  # breaks a rule (not blank)
        "llm_provider": "openai",
        "llm_name": "gpt-4o",
        "num_of_messages": "ten",  # wrong type
    }
    with pytest.raises(ValidationError) as caught:
        await app.agents.create(context, data)
    error = caught.value
    assert error.errors == (
        FieldError("agent_name", "must not be blank"),
        FieldError("num_of_messages", "must be an integer, got str"),
        FieldError("bogus", "is not a field of Agent"),
    )
    assert error.field == "agent_name"
    assert str(error) == "agent_name: must not be blank"
    written: tuple[EntitySchema[Any], ...] = (AGENTS, TENANT_COUNTERS)
    for schema in written:
        assert await store.repository(schema).count(context.partition_key, Query()) == 0


async def test_an_update_with_two_bad_fields_names_both(
    app: SimpleNamespace, context: TenantContext
) -> None:
    agent = await app.agents.create(
        context, {"agent_name": "a", "llm_provider": "openai", "llm_name": "gpt-4o"}
    )
    with pytest.raises(ValidationError) as caught:
        await app.agents.update(
            context, agent.agent_version_uuid, {"instructions": 5, "agent_name": ""}
        )
    assert [e.field for e in caught.value.errors] == ["agent_name", "instructions"]
