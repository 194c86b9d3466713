"""The statements of a unit of work, one function per action, each keeping the reference
semantics of :mod:`domain.ports` with guards that hold under concurrency.

Every function runs inside the caller's transaction and raises the domain error of a
failed condition, which rolls the whole transaction back.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.entity_table import EntityTable
from aace.domain.entities import TenantCounter
from aace.domain.errors import ConditionFailed, Conflict, NotFound
from aace.domain.ports import ConditionKind
from aace.domain.unit_of_work import DeleteAction, IncrementAction, PutAction

__all__ = ["apply_delete", "apply_increment", "apply_put"]


async def _check_present(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction | DeleteAction
) -> None:
    """Lock the tenant's record and check the equality precondition in Python, reading only
    the attributes the condition names."""
    params = table.key_params(action.tenant, action.key)
    locked = table.lock_columns(action.condition.equals)
    row = (await connection.execute(locked, params)).first()
    if row is None:
        raise NotFound(f"{table.schema.name} {action.key} not found")
    if not action.condition.holds(table.record(row)):
        raise ConditionFailed(f"{table.schema.name} {action.key} changed since it was read")


async def apply_put(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction
) -> None:
    kind = action.condition.kind
    name = table.schema.name
    if kind is ConditionKind.ABSENT:
        if (await connection.execute(table.insert_absent, action.record)).rowcount == 0:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if kind is ConditionKind.ANY:
        if (await connection.execute(table.upsert_own, action.record)).rowcount == 0:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if action.condition.equals:
        await _check_present(connection, table, action)
    params = {**table.values(action.record), **table.key_params(action.tenant, action.key)}
    if (await connection.execute(table.update_owned, params)).rowcount == 0:
        raise NotFound(f"{name} {action.key} not found")


async def apply_delete(
    connection: AsyncConnection, table: EntityTable[Any], action: DeleteAction
) -> None:
    kind = action.condition.kind
    name = table.schema.name
    params = table.key_params(action.tenant, action.key)
    if kind is ConditionKind.ABSENT:
        if (await connection.execute(table.select_stored, params)).first() is not None:
            raise Conflict(f"{name} {action.key} already exists")
        return
    if action.condition.equals:
        await _check_present(connection, table, action)
    deleted = (await connection.execute(table.delete_owned, params)).rowcount
    if deleted == 0 and kind is ConditionKind.PRESENT:
        raise NotFound(f"{name} {action.key} not found")


async def apply_increment(
    connection: AsyncConnection,
    counters: EntityTable[TenantCounter],
    action: IncrementAction,
) -> None:
    """Lock the counter row (or create it), then apply the reference's rules to it."""
    params = counters.key_params(action.tenant, action.key)
    locked = select(counters.column("value")).where(counters.owned).with_for_update()
    while True:
        current = (await connection.execute(locked, params)).scalar_one_or_none()
        record = action.applied_to(current)
        if current is not None:
            await connection.execute(counters.update_owned, {**counters.values(record), **params})
            return
        if (await connection.execute(counters.insert_absent, record)).rowcount == 1:
            return
        # Another transaction created the row meanwhile: lock it and start over.
