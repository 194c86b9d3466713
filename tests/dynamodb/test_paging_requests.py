"""What a page costs in Query requests: the same on every page, inside large groups of
records that tie on the index's range attribute too (the cursor resumes DynamoDB's own
pagination right after the previous page's last record)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.domain.entities import AGENTS
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)
GROUPS = 3
GROUP_SIZE = 1000


@contextmanager
def query_requests(store: DynamoStore) -> Iterator[list[str]]:
    """The Query requests ``store`` sends meanwhile (retries included), one entry each."""
    sent: list[str] = []

    def count(**_: Any) -> None:
        sent.append("Query")  # list.append is atomic: requests come from worker threads

    events = store.runner.client.meta.events
    events.register("before-send.dynamodb.Query", count)
    try:
        yield sent
    finally:
        events.unregister("before-send.dynamodb.Query", count)


async def _requests_per_page(store: DynamoStore, tenant: PartitionKey, query: Query) -> list[int]:
    """Walk every page of ``query``: the Query requests of each page."""
    repo = store.repository(AGENTS)
    per_page: list[int] = []
    while True:
        with query_requests(store) as sent:
            page = await repo.query(tenant, query)
        per_page.append(len(sent))
        if page.next_cursor is None:
            return per_page
        query = attrs.evolve(query, cursor=page.next_cursor)


@pytest.mark.parametrize("descending", [False, True], ids=["ascending", "descending"])
async def test_every_page_over_large_ties_takes_at_most_two_queries(
    dynamo_store: DynamoStore, descending: bool
) -> None:
    tenant = PartitionKey("ep-paging", f"tenant-{descending}")
    agents = [
        sample(AGENTS, tenant, agent_uuid="one", updated_at=T0 + timedelta(minutes=group))
        for group in range(GROUPS)
        for _ in range(GROUP_SIZE)
    ]
    await dynamo_store.repository(AGENTS).put_many(agents)
    for query in (
        Query(index="updated_at-index", limit=50, descending=descending),
        Query(index="updated_at-index", limit=333, descending=descending),
        Query(index="agent_uuid-index", range=RangeCondition.eq("one"), limit=50),
        Query(limit=50, descending=descending),
    ):
        per_page = await _requests_per_page(dynamo_store, tenant, query)
        assert len(per_page) == -(-len(agents) // query.limit)
        assert max(per_page) <= 2, (query, per_page)
