"""Values the SQL columns must keep exactly, and the statements batch reads cost."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import event

from aace.adapters.sql import SqlStore
from aace.adapters.sql.repository import MAX_KEYS_PER_READ
from aace.domain.entities import AGENTS, RUNS, THREADS
from aace.domain.ports import ABSENT
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio

TENANT = PartitionKey("ep-values", "tenant")


@contextmanager
def counted_statements(store: SqlStore) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (with its parameters) the store's engine sends while the block runs."""
    statements: list[tuple[str, Any]] = []

    def record(*args: Any) -> None:
        statements.append((args[2], args[3]))

    engine = store.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_text_with_nul_and_the_escape_character_round_trips(sql_store: SqlStore) -> None:
    repo = sql_store.repository(AGENTS)
    odd = "a\x00b \ue000 \ue000\ue001 \x00\ue000"
    agent = sample(AGENTS, TENANT, instructions=odd, agent_name="plain")
    await repo.put(agent, condition=ABSENT)
    assert (await repo.get(TENANT, (agent.agent_version_uuid,))).instructions == odd
    found = await repo.query(TENANT, Query(filters={"instructions": odd}))
    assert found.items == [agent]


async def test_numbers_keep_their_exact_value(sql_store: SqlStore) -> None:
    repo = sql_store.repository(RUNS)
    big = 10**38 - 1
    run = sample(RUNS, TENANT, total_tokens=big, prompt_tokens=-(2**63), time_spent=0.1 + 0.2)
    await repo.put(run, condition=ABSENT)
    stored = await repo.get(TENANT, RUNS.key_of(run))
    assert stored == run
    assert (stored.total_tokens, stored.prompt_tokens) == (big, -(2**63))
    assert isinstance(stored.total_tokens, int)
    assert stored.time_spent == 0.1 + 0.2
    listing = Query(parent=run.thread_uuid, filters={"total_tokens": big})
    assert (await repo.query(TENANT, listing)).items == [run]


async def test_datetimes_keep_microseconds_and_sort_across_offsets(sql_store: SqlStore) -> None:
    repo = sql_store.repository(THREADS)
    base = datetime(2024, 6, 30, 23, 59, 59, 999999, tzinfo=UTC)
    east = timezone(timedelta(hours=5))
    moments = [base + timedelta(microseconds=i) for i in (3, 1, 2)]
    threads = [
        sample(THREADS, TENANT, created_at=m.astimezone(east), agent_uuid="a") for m in moments
    ]
    await repo.put_many(threads)
    page = await repo.query(TENANT, Query(index="updated_at-index"))
    assert [t.created_at for t in page.items] == sorted(moments)
    assert all(t.created_at.utcoffset() == timedelta(0) for t in page.items)
    later = Query(index="updated_at-index", range=RangeCondition.gt(moments[1]))
    assert [t.created_at for t in (await repo.query(TENANT, later)).items] == [
        moments[2],
        moments[0],
    ]


async def test_get_many_of_a_thousand_keys_is_one_statement(sql_store: SqlStore) -> None:
    repo = sql_store.repository(RUNS)
    runs = [sample(RUNS, TENANT, thread_uuid=f"t{i % 7}") for i in range(MAX_KEYS_PER_READ)]
    await repo.put_many(runs)
    keys = [RUNS.key_of(r) for r in reversed(runs)]
    with counted_statements(sql_store) as statements:
        found = await repo.get_many(TENANT, keys)
    assert found == list(reversed(runs))
    assert len(statements) == 1


async def test_a_deep_page_is_one_keyset_statement(sql_store: SqlStore) -> None:
    repo = sql_store.repository(AGENTS)
    await repo.put_many([sample(AGENTS, TENANT) for _ in range(120)])
    page = await repo.query(TENANT, Query(index="updated_at-index", limit=50))
    assert page.next_cursor is not None
    with counted_statements(sql_store) as statements:
        second = await repo.query(
            TENANT, Query(index="updated_at-index", limit=50, cursor=page.next_cursor)
        )
    assert len(second.items) == 50
    assert len(statements) == 1
    sql, parameters = statements[0]
    # A keyset seek: the page starts where the cursor says, never by skipping rows (the
    # OFFSET 0 of PostgreSQL's scope wrapper keeps its parts apart, skipping nothing).
    inner = sql.replace("OFFSET 0) AS aace_", "")
    assert "OFFSET" not in inner.upper() or list(parameters)[-1] == 0
