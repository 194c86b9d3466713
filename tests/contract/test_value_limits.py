"""What one backend cannot store, no adapter accepts: DynamoDB's number range, empty map keys,
nesting depth, and text no encoder takes, refused by the domain alike everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.services import AgentService
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, TENANT_COUNTERS
from aace.domain.errors import ValidationError
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext
from aace.domain.values import MAX_FIELD_NESTING
from tests.factories import sample

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


def nested(levels: int) -> dict[str, Any]:
    """A map holding maps ``levels`` deep in all (the outermost included)."""
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels - 1):
        value = {"x": value}
    return value


REFUSED = {
    "huge-float": ({"x": 1e200}, "configuration.x"),
    "tiny-float": ({"x": 1e-200}, "configuration.x"),
    "negative-huge": ({"x": [-1e126]}, "configuration.x[0]"),
    "39-digits": ({"x": 10**38}, "configuration.x"),
    "empty-key": ({"": 1}, "configuration"),
    "nested-empty-key": ({"a": {"": 1}}, "configuration.a"),
    "too-deep": (nested(MAX_FIELD_NESTING + 1), "configuration" + ".x" * MAX_FIELD_NESTING),
    "surrogate": ({"x": "a\udfffb"}, "configuration.x"),
    "not-json": ({"x": {1, 2}}, "configuration.x"),
}
ACCEPTED = {
    "deepest": nested(MAX_FIELD_NESTING),
    "edges": {"big": 9.99e125, "small": 1e-130, "neg": -1e-130, "zero": 0.0, "i": 10**38 - 1},
    "unicode": {"emoji 🙂": "text with é and 🙂"},
}


@pytest.mark.parametrize(("configuration", "field"), REFUSED.values(), ids=REFUSED.keys())
async def test_a_value_some_backend_cannot_store_is_refused_by_name_everywhere(
    store: Store, tenant: PartitionKey, configuration: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await AgentService(store, Settings(max_agents_per_tenant=5)).create(
            TenantContext(tenant), {**AGENT, "configuration": configuration}
        )
    assert caught.value.field.startswith(field), caught.value.field
    written: tuple[EntitySchema[Any], ...] = (AGENTS, TENANT_COUNTERS)
    for schema in written:
        assert await store.repository(schema).count(tenant, Query()) == 0


@pytest.mark.parametrize("configuration", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_values_at_the_limits_are_stored_and_read_back_everywhere(
    store: Store, tenant: PartitionKey, configuration: dict[str, Any]
) -> None:
    agent = sample(AGENTS, tenant, configuration=configuration)
    repository = store.repository(AGENTS)
    await repository.put(agent, condition=ABSENT)
    assert (await repository.get(tenant, AGENTS.key_of(agent))).configuration == configuration
