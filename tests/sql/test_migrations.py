"""The shipped migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from aace.adapters.sql import SqlStore
from aace.adapters.sql.migrate import current_revision, schema_differences
from aace.adapters.sql.tables import build_metadata
from aace.domain.entities import AGENTS, ALL_SCHEMAS, ASYNC_TASKS
from aace.domain.schema import TableNames
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.sql.conftest import custom_store, run_as_owner

pytestmark = pytest.mark.anyio


async def test_the_migrated_schema_equals_the_models(sql_store: SqlStore) -> None:
    differences = await schema_differences(
        sql_store.database, sql_store.table_names, sql_store.version_table
    )
    assert differences == []


async def test_every_entity_has_its_table_and_every_index(sql_store: SqlStore) -> None:
    _, tables = build_metadata(sql_store.table_names)

    def describe(sync: object) -> dict[str, tuple[list[str], set[str]]]:
        inspector = inspect(sync)
        return {
            name: (
                inspector.get_pk_constraint(name)["constrained_columns"],
                {index["name"] or "" for index in inspector.get_indexes(name)},
            )
            for name in inspector.get_table_names()
        }

    async with sql_store.database.engine.begin() as connection:
        found = await connection.run_sync(describe)
    assert set(found) >= {t.name for t in tables.values()}
    for schema in ALL_SCHEMAS:
        table = tables[schema.name]
        primary, indexes = found[table.name]
        assert primary == [schema.hash_key, schema.range_key]
        assert {i.name for i in table.indexes} == indexes
        assert len(indexes) == len(schema.indexes)
    assert "aace-agents" in found
    assert "aace-agents.updated_at-index" in found["aace-agents"][1]
    assert tables[AGENTS.name].name == "aace-agents"
    assert "aace-async_tasks.partition_key-updated_at-index" in found["aace-async_tasks"][1]
    assert tables[ASYNC_TASKS.name].c.keys()[:2] == ["function_name", "async_task_uuid"]


async def test_initialize_again_changes_nothing(sql_store: SqlStore) -> None:
    before = await current_revision(sql_store.database, sql_store.version_table)
    await sql_store.initialize()
    assert before == "0006"
    assert await current_revision(sql_store.database, sql_store.version_table) == before
    assert (
        await schema_differences(
            sql_store.database, sql_store.table_names, sql_store.version_table
        )
        == []
    )


async def test_the_comparison_notices_a_schema_that_drifted(sql_store: SqlStore) -> None:
    """The equality above is not vacuous: a dropped index and an extra column show up."""
    agents = build_metadata(sql_store.table_names)[1][AGENTS.name]
    index = next(iter(agents.indexes))
    await run_as_owner(
        sql_store,
        f'DROP INDEX "{index.name}"',
        f'ALTER TABLE "{agents.name}" ADD COLUMN extra TEXT',
    )
    differences = await schema_differences(
        sql_store.database, sql_store.table_names, sql_store.version_table
    )
    kinds = {(d[0], d[1].name if d[0] == "add_index" else d[3].name) for d in differences}
    assert kinds == {("add_index", index.name), ("remove_column", "extra")}


async def test_migrations_create_the_configured_table_names(
    request: pytest.FixtureRequest, anyio_backend: str
) -> None:
    names = TableNames(agent_prefix="t1_", coordination_prefix="t2_", overrides={"runs": "r"})
    async with custom_store(request, "sqlite", table_names=names) as store:
        async with store.database.engine.begin() as connection:
            found = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
        assert {"t1_agents", "t2_sessions", "r", "t1_alembic_version"} <= found
        assert not any(name.startswith(("aace-", "ace-")) for name in found)
        assert await schema_differences(store.database, names, store.version_table) == []
        repo = store.repository(AGENTS)
        agent = sample(AGENTS, PartitionKey("ep", "tenant"))
        await repo.put(agent)
        assert await repo.get(agent.partition_key, (agent.agent_version_uuid,)) == agent
