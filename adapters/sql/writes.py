"""The statements of a unit of work, one function per action, each keeping the reference
semantics of :mod:`domain.ports` with guards that hold under concurrency.

Every function runs inside the caller's transaction and raises the domain error of a
failed condition, which rolls the whole transaction back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.database import Database, Insert
from adapters.sql.entity_table import EntityTable, Record
from domain.entities import TENANT_COUNTERS, TenantCounter
from domain.errors import ConditionFailed, Conflict, LimitExceeded, NotFound
from domain.fields import utc_now
from domain.ports import ConditionKind
from domain.records import to_record
from domain.unit_of_work import DeleteAction, IncrementAction, PutAction

__all__ = ["apply_delete", "apply_increment", "apply_put", "upsert"]


def upsert(
    db: Database,
    table: EntityTable[Any],
    records: Sequence[Record],
    *,
    same_tenant: bool = False,
) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE every other column to the new values;
    ``same_tenant`` leaves a stored row of another tenant untouched (no row counted)."""
    stmt = db.insert(table.table).values(list(records))
    keys = _key_names(table)
    return stmt.on_conflict_do_update(
        index_elements=list(table.key_columns),
        set_={c.name: stmt.excluded[c.name] for c in table.table.c if c.name not in keys},
        where=table.partition_key == stmt.excluded.partition_key if same_tenant else None,
    )


async def _own_row_for_update(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction | DeleteAction
) -> Record | None:
    stmt = select(table.table).where(table.owned(action.tenant, action.key)).with_for_update()
    row = (await connection.execute(stmt)).first()
    return None if row is None else table.record(row)


async def _check_present(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction | DeleteAction
) -> None:
    """Lock the tenant's record and check the equality precondition in Python."""
    current = await _own_row_for_update(connection, table, action)
    if current is None:
        raise NotFound(f"{table.schema.name} {action.key} not found")
    if not action.condition.holds(current):
        raise ConditionFailed(f"{table.schema.name} {action.key} changed since it was read")


async def apply_put(
    db: Database, connection: AsyncConnection, table: EntityTable[Any], action: PutAction
) -> None:
    kind = action.condition.kind
    name = table.schema.name
    if kind is ConditionKind.ABSENT:
        stmt = (
            db.insert(table.table)
            .values(action.record)
            .on_conflict_do_nothing(index_elements=list(table.key_columns))
        )
        if (await connection.execute(stmt)).rowcount == 0:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if kind is ConditionKind.ANY:
        # On a parent-hashed table a foreign record under the same key is never replaced.
        stmt = upsert(db, table, [action.record], same_tenant=not table.schema.tenant_hashed)
        if (await connection.execute(stmt)).rowcount == 0:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if action.condition.equals:
        await _check_present(connection, table, action)
    stmt_update = (
        update(table.table)
        .where(table.owned(action.tenant, action.key))
        .values({k: v for k, v in action.record.items() if k not in _key_names(table)})
    )
    if (await connection.execute(stmt_update)).rowcount == 0:
        raise NotFound(f"{name} {action.key} not found")


def _key_names(table: EntityTable[Any]) -> set[str]:
    return {c.name for c in table.key_columns}


async def apply_delete(
    connection: AsyncConnection, table: EntityTable[Any], action: DeleteAction
) -> None:
    kind = action.condition.kind
    name = table.schema.name
    if kind is ConditionKind.ABSENT:
        stored = select(table.key_columns[0]).where(table.at_key(action.tenant, action.key))
        if (await connection.execute(stored)).first() is not None:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if action.condition.equals:
        await _check_present(connection, table, action)
    stmt = delete(table.table).where(table.owned(action.tenant, action.key))
    deleted = (await connection.execute(stmt)).rowcount
    if deleted == 0 and kind is ConditionKind.PRESENT:
        raise NotFound(f"{name} {action.key} not found")


async def apply_increment(
    db: Database,
    connection: AsyncConnection,
    counters: EntityTable[TenantCounter],
    action: IncrementAction,
) -> None:
    """Lock the counter row (or create it), then apply the reference's rules to it."""
    own = counters.owned(action.tenant, action.key)
    locked = select(counters.column("value")).where(own).with_for_update()
    while True:
        current = (await connection.execute(locked)).scalar_one_or_none()
        value = (current or 0) + action.by
        if action.limit is not None and action.by > 0 and value > action.limit:
            raise LimitExceeded(
                f"{action.counter_name} would reach {value}, over the limit of {action.limit}"
            )
        if value < 0:
            raise ConditionFailed(f"{action.counter_name} would drop below zero")
        record = to_record(
            TENANT_COUNTERS,
            TenantCounter(
                partition_key=action.tenant,
                counter_name=action.counter_name,
                value=value,
                updated_at=utc_now(),
            ),
        )
        if current is not None:
            await connection.execute(
                update(counters.table)
                .where(own)
                .values(value=record["value"], updated_at=record["updated_at"])
            )
            return
        create = (
            db.insert(counters.table)
            .values(record)
            .on_conflict_do_nothing(index_elements=list(counters.key_columns))
        )
        if (await connection.execute(create)).rowcount == 1:
            return
        # Another transaction created the row meanwhile: lock it and start over.
