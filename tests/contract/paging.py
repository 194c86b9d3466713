"""Walking a listing page by page, and what every walk must show whatever the adapter."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import attrs

from aace.domain.ports import Store
from aace.domain.query import Page, Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey

#: Adapters whose records that tie on the range attribute come in table-key order (DynamoDB
#: lists them in its own index order).
TABLE_KEY_TIES = ("memory", "sqlite", "postgresql")


async def all_pages(
    store: Store, schema: EntitySchema[Any], tenant: PartitionKey, query: Query
) -> list[Any]:
    """Every item of the listing, page after page; every page but the last is full."""
    repo = store.repository(schema)
    items: list[Any] = []
    page: Page[Any] = await repo.query(tenant, query)
    items.extend(page.items)
    while page.next_cursor is not None:
        assert len(page.items) == query.limit
        page = await repo.query(tenant, attrs.evolve(query, cursor=page.next_cursor))
        items.extend(page.items)
    return items


def check_walk(
    found: Sequence[Any],
    expected: Sequence[Any],
    *,
    key: Callable[[Any], Hashable],
    range_of: Callable[[Any], Any],
    descending: bool = False,
) -> None:
    """``found`` holds each record of ``expected`` exactly once, in range order."""
    keys = [key(item) for item in found]
    assert len(keys) == len(set(keys)), "a record was listed twice"
    assert set(keys) == {key(item) for item in expected}, "a record was missed or is foreign"
    values = [range_of(item) for item in found]
    assert values == sorted(values, reverse=descending), "out of range order"
