"""Index queries, range conditions, order, filters, keyset pages, cursors and counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import attrs
import pytest

from aace.domain.entities import AGENTS, MESSAGES, PROMPT_TEMPLATES, SESSIONS, THREADS, Agent
from aace.domain.errors import InvalidCursor, ValidationError
from aace.domain.ports import ABSENT, Store
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import PartitionKey
from tests.contract.paging import TABLE_KEY_TIES, all_pages
from tests.factories import sample

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _agents(store: Store, tenant: PartitionKey, count: int) -> list[Agent]:
    """``count`` agents with updated_at one minute apart, oldest first."""
    agents = [
        sample(
            AGENTS,
            tenant,
            agent_version_uuid=f"v{i:04d}",
            agent_uuid=f"a{i % 3}",
            updated_at=T0 + timedelta(minutes=i),
            status="active" if i % 2 else "inactive",
        )
        for i in range(count)
    ]
    await store.repository(AGENTS).put_many(agents)
    return agents


async def test_the_table_lists_by_range_key_in_both_orders(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _agents(store, tenant, 7)
    ids = [a.agent_version_uuid for a in agents]
    ascending = await all_pages(store, AGENTS, tenant, Query(limit=3))
    descending = await all_pages(store, AGENTS, tenant, Query(limit=3, descending=True))
    assert [a.agent_version_uuid for a in ascending] == ids
    assert [a.agent_version_uuid for a in descending] == ids[::-1]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (RangeCondition.eq(T0 + timedelta(minutes=3)), [3]),
        (RangeCondition.lt(T0 + timedelta(minutes=3)), [0, 1, 2]),
        (RangeCondition.le(T0 + timedelta(minutes=3)), [0, 1, 2, 3]),
        (RangeCondition.gt(T0 + timedelta(minutes=6)), [7, 8, 9]),
        (RangeCondition.ge(T0 + timedelta(minutes=6)), [6, 7, 8, 9]),
        (RangeCondition.between(T0 + timedelta(minutes=2), T0 + timedelta(minutes=4)), [2, 3, 4]),
    ],
    ids=["eq", "lt", "le", "gt", "ge", "between"],
)
async def test_range_conditions_on_a_datetime_index(
    store: Store, tenant: PartitionKey, condition: RangeCondition, expected: list[int]
) -> None:
    await _agents(store, tenant, 10)
    for descending in (False, True):
        query = Query(index="updated_at-index", range=condition, descending=descending, limit=2)
        found = await all_pages(store, AGENTS, tenant, query)
        numbers = [int(a.agent_version_uuid[1:]) for a in found]
        assert numbers == (expected[::-1] if descending else expected)
        assert await store.repository(AGENTS).count(tenant, query) == len(expected)


async def test_newest_first_by_updated_at(store: Store, tenant: PartitionKey) -> None:
    agents = await _agents(store, tenant, 5)
    page = await store.repository(AGENTS).query(
        tenant, Query(index="updated_at-index", descending=True, limit=2)
    )
    assert [a.agent_version_uuid for a in page.items] == ["v0004", "v0003"]
    assert page.items[0] == agents[-1]


async def test_ties_on_an_index_come_once_each_in_one_stable_order(
    store: Store, tenant: PartitionKey
) -> None:
    await _agents(store, tenant, 9)
    query = Query(index="agent_uuid-index", range=RangeCondition.eq("a1"), limit=2)
    found = [a.agent_version_uuid for a in await all_pages(store, AGENTS, tenant, query)]
    assert sorted(found) == ["v0001", "v0004", "v0007"]
    for limit in (1, 1000):
        again = await all_pages(store, AGENTS, tenant, attrs.evolve(query, limit=limit))
        assert [a.agent_version_uuid for a in again] == found
    back = await all_pages(store, AGENTS, tenant, attrs.evolve(query, descending=True))
    assert [a.agent_version_uuid for a in back] == found[::-1]
    if store.adapter in TABLE_KEY_TIES:
        assert found == ["v0001", "v0004", "v0007"]


async def test_begins_with_on_a_string_index(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(PROMPT_TEMPLATES)
    for prompt_type in ("chat.system", "chat.user", "tool.call", "chat"):
        await repo.put(sample(PROMPT_TEMPLATES, tenant, prompt_type=prompt_type), condition=ABSENT)
    page = await repo.query(
        tenant, Query(index="prompt_type-index", range=RangeCondition.begins_with("chat."))
    )
    assert [p.prompt_type for p in page.items] == ["chat.system", "chat.user"]


async def test_equality_filters_narrow_a_listing(store: Store, tenant: PartitionKey) -> None:
    await _agents(store, tenant, 10)
    query = Query(filters={"status": "active"}, limit=2)
    found = await all_pages(store, AGENTS, tenant, query)
    assert [a.agent_version_uuid for a in found] == ["v0001", "v0003", "v0005", "v0007", "v0009"]
    assert await store.repository(AGENTS).count(tenant, query) == 5


async def test_an_index_lists_only_records_that_have_its_attribute(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(SESSIONS)
    coordination = "c-" + tenant.part_id
    with_task = sample(SESSIONS, tenant, coordination_uuid=coordination, task_uuid="task-1")
    without = sample(SESSIONS, tenant, coordination_uuid=coordination, task_uuid=None)
    await repo.put(with_task, condition=ABSENT)
    await repo.put(without, condition=ABSENT)
    by_task = await repo.query(tenant, Query(parent=coordination, index="task_uuid-index"))
    assert by_task.items == [with_task]
    assert await repo.count(tenant, Query(parent=coordination)) == 2


async def test_the_threads_updated_at_index_sorts_by_created_at(
    store: Store, tenant: PartitionKey
) -> None:
    repo = store.repository(THREADS)
    threads = [
        sample(THREADS, tenant, thread_uuid=f"t{9 - i}", created_at=T0 + timedelta(hours=i))
        for i in range(4)
    ]
    await repo.put_many(threads)
    page = await repo.query(tenant, Query(index="updated_at-index"))
    assert page.items == threads


async def test_messages_of_one_run(store: Store, tenant: PartitionKey) -> None:
    repo = store.repository(MESSAGES)
    thread = "th-" + tenant.part_id
    wanted = [sample(MESSAGES, tenant, thread_uuid=thread, run_uuid="run-b") for _ in range(4)]
    others = [sample(MESSAGES, tenant, thread_uuid=thread, run_uuid="run-a") for _ in range(3)]
    await repo.put_many(wanted + others)
    query = Query(parent=thread, index="run_uuid-index", range=RangeCondition.eq("run-b"))
    found = await all_pages(store, MESSAGES, tenant, attrs.evolve(query, limit=3))
    assert sorted(m.message_uuid for m in found) == sorted(m.message_uuid for m in wanted)


async def test_paging_through_a_thousand_records_visits_each_once(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _agents(store, tenant, 1000)
    found = await all_pages(store, AGENTS, tenant, Query(index="updated_at-index", limit=37))
    assert [a.agent_version_uuid for a in found] == [a.agent_version_uuid for a in agents]


async def test_paging_visits_each_record_once_while_records_are_inserted(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _agents(store, tenant, 1000)
    repo = store.repository(AGENTS)
    seen: list[str] = []
    query = Query(index="updated_at-index", limit=50)
    page = await repo.query(tenant, query)
    inserted = 0
    while True:
        seen.extend(a.agent_version_uuid for a in page.items)
        # Insert one record behind the cursor and one ahead of it between pages.
        await repo.put(
            sample(
                AGENTS,
                tenant,
                agent_version_uuid=f"old{inserted:03d}",
                updated_at=T0 - timedelta(days=1),
            ),
            condition=ABSENT,
        )
        await repo.put(
            sample(
                AGENTS,
                tenant,
                agent_version_uuid=f"new{inserted:03d}",
                updated_at=T0 + timedelta(days=30, minutes=inserted),
            ),
            condition=ABSENT,
        )
        inserted += 1
        if page.next_cursor is None:
            break
        page = await repo.query(
            tenant, Query(index="updated_at-index", limit=50, cursor=page.next_cursor)
        )
    assert len(seen) == len(set(seen))
    assert set(seen) >= {a.agent_version_uuid for a in agents}
    assert not any(s.startswith("old") for s in seen)


async def test_an_exactly_full_last_page_has_no_cursor(store: Store, tenant: PartitionKey) -> None:
    await _agents(store, tenant, 6)
    repo = store.repository(AGENTS)
    first = await repo.query(tenant, Query(limit=3))
    assert first.next_cursor is not None
    second = await repo.query(tenant, Query(limit=3, cursor=first.next_cursor))
    assert len(second.items) == 3
    assert second.next_cursor is None


async def test_an_empty_listing_is_one_empty_page(store: Store, tenant: PartitionKey) -> None:
    page = await store.repository(AGENTS).query(tenant, Query())
    assert page.items == []
    assert page.next_cursor is None
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


async def test_a_tampered_or_truncated_cursor_is_refused(
    store: Store, tenant: PartitionKey
) -> None:
    await _agents(store, tenant, 5)
    repo = store.repository(AGENTS)
    cursor = (await repo.query(tenant, Query(limit=2))).next_cursor
    assert cursor is not None
    body, signature = cursor.split(".")
    flipped = body[:-1] + ("A" if body[-1] != "A" else "B")
    for bad in (cursor[:-3], f"{flipped}.{signature}", "garbage", "", f"{body}.", "a.b.c"):
        with pytest.raises(InvalidCursor):
            await repo.query(tenant, Query(limit=2, cursor=bad))


async def test_a_cursor_is_bound_to_its_index_order_and_filter(
    store: Store, tenant: PartitionKey
) -> None:
    await _agents(store, tenant, 5)
    repo = store.repository(AGENTS)
    cursor = (await repo.query(tenant, Query(limit=2))).next_cursor
    for other in (
        Query(limit=2, cursor=cursor, index="updated_at-index"),
        Query(limit=2, cursor=cursor, descending=True),
        Query(limit=2, cursor=cursor, filters={"status": "active"}),
        Query(limit=2, cursor=cursor, range=RangeCondition.gt("v0000")),
    ):
        with pytest.raises(InvalidCursor):
            await repo.query(tenant, other)
    with pytest.raises(InvalidCursor):
        await store.repository(PROMPT_TEMPLATES).query(tenant, Query(limit=2, cursor=cursor))


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (Query(limit=0), "limit"),
        (Query(limit=1001), "limit"),
        (Query(index="no-such-index"), "index"),
        (Query(parent="x"), "parent"),
        (Query(filters={"no_such_attribute": 1}), "filters.no_such_attribute"),
        (Query(index="updated_at-index", range=RangeCondition.eq("not a datetime")), "range"),
    ],
    ids=[
        "zero-limit",
        "huge-limit",
        "unknown-index",
        "parent-on-tenant-table",
        "bad-filter",
        "bad-range",
    ],
)
async def test_a_malformed_query_names_the_field(
    store: Store, tenant: PartitionKey, query: Query, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.repository(AGENTS).query(tenant, query)
    assert caught.value.field == field


async def test_listing_a_child_table_needs_its_parent(store: Store, tenant: PartitionKey) -> None:
    with pytest.raises(ValidationError) as caught:
        await store.repository(MESSAGES).query(tenant, Query())
    assert caught.value.field == "parent"
