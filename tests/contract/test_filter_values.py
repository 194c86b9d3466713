"""Malformed values in a listing (a filter's, the parent's, a range bound's): the same
``ValidationError`` naming ``filters.<attribute>``, ``parent`` or ``range`` on every adapter,
raised by the query's own check before any request (never a driver error naming ``record``,
never a listing that one backend runs and another refuses)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from aace.domain.entities import AGENTS, RUNS
from aace.domain.errors import TooLarge, ValidationError
from aace.domain.filters import All, Between, Contains, Equals, In, Nested
from aace.domain.ports import Store
from aace.domain.query import Query, RangeCondition
from aace.domain.records import MAX_ITEM_BYTES
from aace.domain.tenancy import PartitionKey
from aace.domain.values import MAX_RANGE_KEY_BYTES

pytestmark = pytest.mark.anyio

SURROGATE = "a\ud800b"
NUL = "a\x00b"
OVER_A_KEY = "k" * (MAX_RANGE_KEY_BYTES + 1)
OVER_AN_ITEM = "x" * (MAX_ITEM_BYTES + 1)
NAIVE = datetime(2025, 1, 1)  # no tzinfo

#: case -> (schema, query[, True when the value is over a size limit: TooLarge])
CASES: dict[str, tuple[Any, ...]] = {
    "contains-lone-surrogate": (AGENTS, Query(filters={"agent_name": Contains(SURROGATE)})),
    "contains-nul-on-a-key": (AGENTS, Query(filters={"agent_uuid": Contains(NUL)})),
    "contains-over-a-key": (AGENTS, Query(filters={"agent_uuid": Contains(OVER_A_KEY)}), True),
    "contains-over-an-item": (
        AGENTS,
        Query(filters={"agent_name": Contains(OVER_AN_ITEM)}),
        True,
    ),
    "equals-lone-surrogate": (AGENTS, Query(filters={"agent_name": SURROGATE})),
    "equals-nul-on-a-key": (AGENTS, Query(filters={"agent_uuid": NUL})),
    "equals-empty-on-a-key": (AGENTS, Query(filters={"agent_uuid": ""})),
    "equals-map-with-a-lone-surrogate": (
        AGENTS,
        Query(filters={"configuration": Equals({"model": SURROGATE})}),
    ),
    "equals-too-many-digits": (AGENTS, Query(filters={"num_of_messages": 10**40})),
    "equals-nan": (AGENTS, Query(filters={"num_of_messages": float("nan")})),
    "equals-not-a-value": (AGENTS, Query(filters={"num_of_messages": Equals(object())})),
    "equals-naive-datetime": (AGENTS, Query(filters={"updated_at": NAIVE})),
    "in-lone-surrogate": (AGENTS, Query(filters={"llm_provider": In(["openai", SURROGATE])})),
    "in-nul-on-a-key": (AGENTS, Query(filters={"agent_uuid": In([NUL])})),
    "in-too-many-digits": (AGENTS, Query(filters={"num_of_messages": In([10**40])})),
    "between-too-many-digits": (AGENTS, Query(filters={"num_of_messages": Between(10**40)})),
    "between-too-small": (AGENTS, Query(filters={"num_of_messages": Between(high=1e-200)})),
    "nested-lone-surrogate": (AGENTS, Query(filters={"configuration": Nested("m", SURROGATE)})),
    "nested-nul": (AGENTS, Query(filters={"configuration": Nested("m", NUL)})),
    "nested-too-large": (AGENTS, Query(filters={"configuration": Nested("m", 1e300)})),
    "nested-over-an-item": (
        AGENTS,
        Query(filters={"configuration": Nested("m", OVER_AN_ITEM)}),
        True,
    ),
    "all-with-a-lone-surrogate": (
        AGENTS,
        Query(filters={"agent_name": All([Contains("a"), Contains(SURROGATE)])}),
    ),
    "parent-nul": (RUNS, Query(parent=NUL)),
    "parent-lone-surrogate": (RUNS, Query(parent=SURROGATE)),
    "parent-empty": (RUNS, Query(parent="")),
    "parent-not-text": (RUNS, Query(parent=5)),  # type: ignore[arg-type]  # a number, on purpose
    "parent-over-a-key": (RUNS, Query(parent=OVER_A_KEY), True),
    "range-nul": (AGENTS, Query(range=RangeCondition.ge(NUL))),
    "range-lone-surrogate": (AGENTS, Query(range=RangeCondition.eq(SURROGATE))),
    "range-empty-prefix": (AGENTS, Query(range=RangeCondition.begins_with(""))),
    "range-over-a-key": (AGENTS, Query(range=RangeCondition.begins_with(OVER_A_KEY)), True),
    "range-naive-datetime": (
        AGENTS,
        Query(index="updated_at-index", range=RangeCondition.gt(NAIVE)),
    ),
}

#: Where the culprit lies inside a value, the field is its dotted path.
INSIDE = {"equals-map-with-a-lone-surrogate": "filters.configuration.model"}


def _field(query: Query) -> str:
    if query.parent is not None:
        return "parent"
    if query.range is not None:
        return "range"
    (name,) = query.filters
    return f"filters.{name}"


@pytest.mark.parametrize("case", CASES)
async def test_a_malformed_value_in_a_listing_is_refused_naming_it_on_every_adapter(
    store: Store, tenant: PartitionKey, case: str
) -> None:
    schema, query, *too_large = CASES[case]
    repo = store.repository(schema)
    assert isinstance(query, Query)
    for call in (repo.query, repo.count):
        with pytest.raises(ValidationError) as caught:
            await call(tenant, query)
        assert caught.value.field == INSIDE.get(case, _field(query)), case
        assert isinstance(caught.value, TooLarge) == bool(too_large), case


async def test_the_largest_values_that_fit_are_listed(store: Store, tenant: PartitionKey) -> None:
    """At the limits (a key-sized bound, NUL in free text) a listing runs everywhere."""
    repo = store.repository(AGENTS)
    at_the_limit = "k" * MAX_RANGE_KEY_BYTES
    for query in (
        Query(filters={"agent_uuid": Contains(at_the_limit)}),
        Query(range=RangeCondition.begins_with(at_the_limit)),
        Query(filters={"agent_name": Contains(NUL)}),
        Query(filters={"agent_name": NUL}),
    ):
        assert await repo.count(tenant, query) == 0
        assert (await repo.query(tenant, query)).items == []
