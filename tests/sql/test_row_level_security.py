"""Row-level security on PostgreSQL, the second wall between tenants, seen as the
application role (a superuser is never held to the policies): statements that forget the
tenant filter, issued through the adapter's own connections, read, change and delete the
scope's tenant's rows only; a pooled connection carries nothing to its next user; the
registries are every tenant's to read and the operator's alone to write; operator mode is
explicit; the scope travels with the statement or with ``BEGIN``, never on its own."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Table, delete, event, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql import SqlStore
from aace.adapters.sql.scope import NOBODY, OPERATOR, scope_for
from aace.domain.entities import AGENTS, ALL_SCHEMAS, LLMS, RUNS
from aace.domain.errors import Forbidden
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey, PlatformContext, as_operator
from tests.backends import postgresql
from tests.factories import sample

pytestmark = pytest.mark.anyio

RLS = importlib.import_module("aace.adapters.sql.migrations.versions.0005_row_level_security")
#: Tenant tables added after revision 0005, each with the same policy.
LATER = importlib.import_module("aace.adapters.sql.migrations.versions.0006_public_ids")
A, B = PartitionKey("ep", "rls-a"), PartitionKey("ep", "rls-b")
OPS = PlatformContext(updated_by="ops@example.com")
EACH = 3


@pytest.fixture(scope="module")
async def store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[SqlStore]:
    """One connection in the pool, so every call reuses the previous call's connection."""
    options = {"pool_size": "1", "max_overflow": "0"}
    async with postgresql.open_store(request, **options) as opened:
        assert isinstance(opened, SqlStore)
        for tenant in (A, B):
            await opened.repository(AGENTS).put_many(sample(AGENTS, tenant) for _ in range(EACH))
            runs = [sample(RUNS, tenant, thread_uuid="shared-thread") for _ in range(EACH)]
            await opened.repository(RUNS).put_many(runs)
        with as_operator(OPS):
            await opened.repository(LLMS).put(sample(LLMS, A))
        yield opened


def table(store: SqlStore, schema: Any) -> Table:
    return store.entity_table(schema).table


async def everyone(store: SqlStore, schema: Any) -> list[str]:
    """The tenants of every row of ``schema``'s table, read in operator mode."""
    with as_operator(OPS):
        rows = await store.database.fetch(select(table(store, schema)), scope=scope_for(None))
    return sorted(str(row.partition_key) for row in rows)


def test_every_table_of_tenant_records_has_a_policy_and_the_registries_have_theirs() -> None:
    tenant_tables = {s.name for s in ALL_SCHEMAS if not s.platform}
    assert {*RLS.TENANT_TABLES, *LATER.TABLES} == tenant_tables
    platform = set(RLS.REGISTRIES) | set(RLS.OPERATOR_TABLES)
    assert platform == {s.name for s in ALL_SCHEMAS if s.platform}


async def test_policies_are_enabled_and_forced_on_every_table(store: SqlStore) -> None:
    names = {store.table_names(s): s.name for s in ALL_SCHEMAS}

    async def read(connection: AsyncConnection) -> list[Any]:
        statement = text(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, count(p.polname) "
            "FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' "
            "GROUP BY c.relname, c.relrowsecurity, c.relforcerowsecurity"
        )
        return list((await connection.execute(statement)).all())

    found = {row[0]: row[1:] for row in await store.database.read(read) if row[0] in names}
    assert set(found) == set(names)
    for name, (enabled, forced, policies) in found.items():
        assert enabled, name
        assert forced, name
        assert policies >= 1, name


async def test_the_application_role_does_not_bypass_the_policies(store: SqlStore) -> None:
    async def read(connection: AsyncConnection) -> Any:
        statement = "SELECT current_user, rolsuper, rolbypassrls FROM pg_roles "
        statement += "WHERE rolname = current_user"
        return (await connection.execute(text(statement))).one()

    user, superuser, bypass = await store.database.read(read)
    assert (user, superuser, bypass) == (postgresql.APP_ROLE, False, False)


@pytest.mark.parametrize("schema", [AGENTS, RUNS], ids=lambda s: s.name)
async def test_a_read_without_the_tenant_filter_returns_the_scopes_tenant_only(
    store: SqlStore, schema: Any
) -> None:
    forgetful = select(table(store, schema))  # no partition_key filter at all
    for tenant in (A, B):
        rows = await store.database.fetch(forgetful, scope=scope_for(str(tenant)))
        assert [str(r.partition_key) for r in rows] == [str(tenant)] * EACH
    assert await store.database.fetch(forgetful, scope=NOBODY) == []
    counted = select(func.count()).select_from(table(store, schema))
    assert (await store.database.fetch(counted, scope=scope_for(str(A))))[0][0] == EACH
    assert await everyone(store, schema) == [str(A)] * EACH + [str(B)] * EACH


@pytest.mark.parametrize("schema", [AGENTS, RUNS], ids=lambda s: s.name)
async def test_a_write_without_the_tenant_filter_cannot_touch_another_tenant(
    store: SqlStore, schema: Any
) -> None:
    rows = table(store, schema)
    before = await everyone(store, schema)

    async def touch_all(connection: AsyncConnection) -> tuple[int, int]:
        updated = await connection.execute(update(rows).values(updated_by="forgetful"))
        deleted = await connection.execute(delete(rows))
        raise _RolledBack(updated.rowcount, deleted.rowcount)

    with pytest.raises(_RolledBack) as seen:  # rolled back: the fixture's rows stay
        await store.database.transaction(touch_all, scope=scope_for(str(A)))
    assert seen.value.args == (EACH, EACH)  # A's rows, none of B's
    assert await everyone(store, schema) == before

    async def delete_all(connection: AsyncConnection) -> int:
        return int((await connection.execute(delete(rows))).rowcount)

    assert await store.database.transaction(delete_all, scope=NOBODY) == 0
    assert await everyone(store, schema) == before


async def test_a_row_of_another_tenant_cannot_be_written_under_a_tenants_scope(
    store: SqlStore,
) -> None:
    record = to_record(AGENTS, sample(AGENTS, B))

    async def write(connection: AsyncConnection) -> None:
        await connection.execute(insert(table(store, AGENTS)).values(record))

    with pytest.raises(Forbidden, match="row-level security"):
        await store.database.transaction(write, scope=scope_for(str(A)))
    assert await everyone(store, AGENTS) == [str(A)] * EACH + [str(B)] * EACH


async def test_a_pooled_connection_reused_by_another_tenant_sees_nothing_of_the_first(
    store: SqlStore,
) -> None:
    agents = table(store, AGENTS)
    state = text(
        "SELECT pg_backend_pid(), current_setting('aace.tenant', true), "
        "current_setting('aace.operator', true), (SELECT count(*) FROM "
        f'"{agents.name}")'
    )

    async def session_state(connection: AsyncConnection) -> Any:
        return (await connection.execute(state)).one()

    first = await store.database.fetch(select(agents), scope=scope_for(str(A)))
    assert {str(r.partition_key) for r in first} == {str(A)}
    pid, tenant, operator, visible = await store.database.read(session_state)
    assert (tenant or "", operator or "", visible) == ("", "", 0)

    async def write_as_a(connection: AsyncConnection) -> int:
        return int((await connection.execute(state)).one()[0])

    assert await store.database.transaction(write_as_a, scope=scope_for(str(A))) == pid
    with as_operator(OPS):
        await store.database.fetch(select(agents), scope=scope_for(None))
    again = await store.database.read(session_state)
    assert again[0] == pid  # the very same connection, handed to the next user
    assert (again[1] or "", again[2] or "", again[3]) == ("", "", 0)
    second = await store.database.fetch(select(agents), scope=scope_for(str(B)))
    assert {str(r.partition_key) for r in second} == {str(B)}


async def test_registries_are_every_tenants_to_read_and_the_operators_to_write(
    store: SqlStore,
) -> None:
    llms = table(store, LLMS)
    for scope in (scope_for(str(A)), scope_for(str(B)), NOBODY):
        assert len(await store.database.fetch(select(llms), scope=scope)) == 1
    record = to_record(LLMS, sample(LLMS, A))

    async def add(connection: AsyncConnection) -> None:
        await connection.execute(insert(llms).values(record))

    async def change(connection: AsyncConnection) -> int:
        return int((await connection.execute(update(llms).values(updated_by="x"))).rowcount)

    async def remove(connection: AsyncConnection) -> int:
        return int((await connection.execute(delete(llms))).rowcount)

    with pytest.raises(Forbidden, match="row-level security"):
        await store.database.transaction(add, scope=scope_for(str(A)))
    with pytest.raises(Forbidden, match="row-level security"):
        await store.database.transaction(change, scope=scope_for(str(A)))
    assert await store.database.transaction(remove, scope=scope_for(str(A))) == 0
    await store.database.transaction(add, scope=OPERATOR)
    assert len(await store.database.fetch(select(llms), scope=NOBODY)) == 2


async def test_operator_mode_is_explicit(store: SqlStore) -> None:
    assert scope_for(None) == NOBODY  # no tenant and no operator: the registries only
    assert scope_for(str(A)) != OPERATOR
    with as_operator(OPS):
        assert scope_for(None) == OPERATOR
        assert scope_for(str(A)) == scope_for(str(A), platform=False)  # a tenant stays one
        assert scope_for(str(A), platform=True) == OPERATOR
        everything = await store.database.fetch(select(table(store, RUNS)), scope=OPERATOR)
    assert len(everything) == 2 * EACH
    with pytest.raises(Forbidden, match="crosses tenants"):
        await store.repository(RUNS).scan()


async def test_a_read_runs_its_set_config_first(store: SqlStore) -> None:
    """The statement a page read sends, explained: the set_config runs as an init plan
    whose result the top node checks before the read below it starts; the read keeps its
    order."""
    agents = table(store, AGENTS)
    read = select(agents).where(agents.c.partition_key == str(A))
    sent: list[tuple[str, Any]] = []

    def record(_: Any, __: Any, statement: str, parameters: Any, *rest: Any) -> None:
        sent.append((statement, parameters))

    engine = store.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = await store.database.fetch(
            read.order_by(agents.c.agent_version_uuid.desc()).limit(2), scope=scope_for(str(A))
        )
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [r.agent_version_uuid for r in rows] == sorted(
        (r.agent_version_uuid for r in await store.database.fetch(read, scope=scope_for(str(A)))),
        reverse=True,
    )[:2]
    ((statement, parameters),) = sent
    assert "set_config('aace.tenant'" in statement
    assert parameters[-1] == str(A)

    async def explain(connection: AsyncConnection) -> list[str]:
        plan = await connection.exec_driver_sql(f"EXPLAIN (COSTS OFF) {statement}", parameters)
        return [str(row[0]) for row in plan.all()]

    plan = await store.database.read(explain)
    # The set_config is an init plan, checked by the top node before its child reads a row.
    assert plan[0] == "Result", plan
    assert plan[1].strip() == "One-Time Filter: ($0 IS NOT NULL)", plan
    assert plan[2].strip() == "InitPlan 1 (returns $0)", plan
    assert "Scan" not in plan[3], plan  # the init plan reads no table
    assert any("Scan" in line for line in plan[4:]), plan


async def test_a_transaction_sets_its_scope_in_the_begin_it_sends(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scope is part of the BEGIN message: no statement of its own, no round trip.
    (The driver's simple queries are recorded, then sent as they were.)"""
    sent: list[str] = []
    original = asyncpg.Connection.execute

    async def recording(self: Any, query: str, *args: Any, **kwargs: Any) -> str:
        sent.append(query)
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", recording)
    await store.repository(AGENTS).put(sample(AGENTS, A))
    monkeypatch.undo()
    assert len(sent) == 2  # BEGIN with the scope, COMMIT: as many messages as unscoped
    begin, commit = sent
    assert begin.startswith("BEGIN")
    assert begin.endswith(f" SET LOCAL aace.tenant = E'{A}';")
    assert commit.startswith("COMMIT")


@pytest.mark.parametrize("part_id", ["o'brien", "back\\slash", "quote\\'both", "ünï"])
async def test_a_tenant_with_quotes_or_backslashes_is_its_own_scope(
    store: SqlStore, part_id: str
) -> None:
    """The scope of a transaction is an escape string literal: any partition key a tenant
    may have arrives as it is (and a wrong one would write nothing: the policies refuse)."""
    tenant = PartitionKey("ep", part_id)
    agent = sample(AGENTS, tenant)
    await store.repository(AGENTS).put(agent)
    assert await store.repository(AGENTS).get(tenant, AGENTS.key_of(agent)) == agent

    async def setting(connection: AsyncConnection) -> str:
        found = await connection.execute(text("SELECT current_setting('aace.tenant')"))
        return str(found.scalar_one())

    assert await store.database.transaction(setting, scope=scope_for(str(tenant))) == str(tenant)


class _RolledBack(Exception):
    """Raised inside a transaction to roll it back, carrying what it saw."""
