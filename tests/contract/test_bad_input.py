"""Bad input: typed errors naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from aace.domain.entities import AGENTS, COORDINATIONS, RUNS
from aace.domain.errors import TooLarge, ValidationError
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query
from aace.domain.records import MAX_ITEM_BYTES
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.factories import new_id, sample

pytestmark = pytest.mark.anyio


async def test_an_oversize_record_is_refused_and_nothing_is_written(
    store: Store, tenant: PartitionKey
) -> None:
    agent = sample(AGENTS, tenant, instructions="x" * 410_000)
    with pytest.raises(TooLarge) as caught:
        await store.repository(AGENTS).put(agent, condition=ABSENT)
    assert caught.value.field == "instructions"
    assert caught.value.limit == "item size"
    assert await store.repository(AGENTS).find(tenant, AGENTS.key_of(agent)) is None


async def test_an_oversize_record_in_a_unit_of_work_writes_nothing(
    store: Store, tenant: PartitionKey
) -> None:
    fine = sample(AGENTS, tenant)
    with pytest.raises(TooLarge):
        async with store.unit_of_work() as uow:
            uow.put(fine, condition=ABSENT)
            uow.put(sample(AGENTS, tenant, configuration={"blob": "y" * 420_000}))
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


@pytest.mark.parametrize(
    ("schema", "copies"),
    [(COORDINATIONS, 0), (RUNS, 1), (AGENTS, 2)],
    ids=lambda v: getattr(v, "name", None),
)
async def test_the_item_limit_counts_local_index_copies(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any], copies: int
) -> None:
    """A record fits when it and its copies in the local indexes fit in 400 KB, as on
    DynamoDB; one a little larger is refused on every adapter."""
    field = {
        "coordinations": "coordination_description",
        "runs": "run_id",
        "agents": "instructions",
    }[schema.name]
    budget = MAX_ITEM_BYTES // (1 + copies)
    repo = store.repository(schema)
    fits = sample(schema, tenant, **{field: "z" * (budget - 2_000)})
    await repo.put(fits, condition=ABSENT)
    assert await repo.get(tenant, schema.key_of(fits)) == fits
    too_big = sample(schema, tenant, **{field: "z" * (budget + 10)})
    with pytest.raises(TooLarge) as caught:
        await repo.put(too_big, condition=ABSENT)
    assert caught.value.field == field
    assert await repo.find(tenant, schema.key_of(too_big)) is None


@pytest.mark.parametrize(
    "bad",
    ["", " padded", "tab\there", "x" * 1025, "é" * 513],
    ids=["empty", "space", "control", "long", "long-utf8"],
)
async def test_a_malformed_key_names_the_key_field(
    store: Store, tenant: PartitionKey, bad: str
) -> None:
    runs = store.repository(RUNS)
    with pytest.raises(ValidationError) as caught:
        await runs.get(tenant, (new_id(), bad))
    assert caught.value.field == "run_uuid"
    with pytest.raises(ValidationError) as caught:
        await runs.delete(tenant, (bad, new_id()))
    assert caught.value.field == "thread_uuid"


async def test_a_key_of_the_wrong_shape_is_refused(store: Store, tenant: PartitionKey) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.repository(RUNS).get(tenant, (new_id(),))
    assert caught.value.field == "key"
