"""The statements of a unit of work, one function per action, each keeping the reference
semantics of :mod:`domain.ports` with guards that hold under concurrency.

Every function runs inside the caller's transaction and raises the domain error of a
failed condition, which rolls the whole transaction back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, assert_never

from sqlalchemy import func, literal, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.entity_table import HASH_PARAMETER, RANGE_PARAMETER, EntityTable
from aace.adapters.sql.errors import refused_stored_row
from aace.adapters.sql.listing import count_statement
from aace.domain.errors import ConditionFailed, Conflict, NotFound
from aace.domain.fields import utc_now
from aace.domain.ports import ConditionKind
from aace.domain.query import resolve
from aace.domain.schema import EntitySchema
from aace.domain.unit_of_work import (
    Action,
    CheckAction,
    DeleteAction,
    IncrementAction,
    PutAction,
)

__all__ = [
    "apply_check",
    "apply_delete",
    "apply_increment",
    "apply_put",
    "check_guards",
    "key_taken",
]


async def _check_present(
    connection: AsyncConnection,
    table: EntityTable[Any],
    action: PutAction | DeleteAction | CheckAction,
    *,
    shared: bool = False,
) -> None:
    """Lock the tenant's record and check the condition in Python, reading only the key and
    the attributes the condition names (``shared``: a lock that only keeps others from
    changing or deleting it until the transaction ends)."""
    params = table.key_params(action.tenant, action.key)
    locked = table.lock_columns(action.condition.equals, shared=shared)
    row = (await connection.execute(locked, params)).first()
    if row is None:
        raise NotFound(f"{table.schema.name} {action.key} not found")
    if not action.condition.holds(table.record(row)):
        raise ConditionFailed(f"{table.schema.name} {action.key} changed since it was read")


def _stamp_field(action: PutAction | DeleteAction) -> str:
    assert action.condition.stamp is not None  # checked by the action
    return str(action.condition.stamp[0])


async def _refuse_newer(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction | DeleteAction
) -> None:
    """A newer-wins write changed no row: the stored row is newer (``ConditionFailed``) or
    another tenant's (``Conflict``); a delete of a missing row is a no-op."""
    params = table.key_params(action.tenant, action.key)
    if (await connection.execute(table.select_owned, params)).first() is not None:
        raise ConditionFailed(f"{table.schema.name} {action.key} is newer in the store")
    if await key_taken(connection, table, params):
        raise Conflict(f"{table.schema.name} {action.key} already exists")


async def key_taken(
    connection: AsyncConnection, table: EntityTable[Any], params: dict[str, str]
) -> bool:
    """Whether any tenant's record is stored under the key of ``params``. On PostgreSQL
    the policies hide other tenants' rows, so the migrations' function ``aace_key_taken``
    answers (it reads in operator mode and tells nothing but this)."""
    if connection.dialect.name != "postgresql":
        return (await connection.execute(table.select_stored, params)).first() is not None
    hash_column, range_column = table.key_columns
    probe = func.aace_key_taken(
        table.table.name,
        literal(params[HASH_PARAMETER], hash_column.type),
        literal(params[RANGE_PARAMETER], range_column.type),
    )
    return bool((await connection.execute(select(probe))).scalar_one())


async def _upsert(
    connection: AsyncConnection, table: EntityTable[Any], statement: Any, action: PutAction
) -> int:
    """Rows an upsert wrote; ``Conflict`` when row-level security refused the stored row
    under the key (another tenant's: PostgreSQL checks the policy before the upsert's own
    tenant condition)."""
    try:
        return int((await connection.execute(statement, action.record)).rowcount)
    except DBAPIError as exc:
        if refused_stored_row(exc):
            raise Conflict(f"{table.schema.name} {action.key} already exists") from None
        raise


async def apply_check(
    connection: AsyncConnection, table: EntityTable[Any], action: CheckAction
) -> None:
    """Hold the tenant's record with a shared lock until the transaction ends (so nobody
    deletes or changes it before the unit of work commits) and check the condition."""
    await _check_present(connection, table, action, shared=True)


async def apply_put(
    connection: AsyncConnection, table: EntityTable[Any], action: PutAction
) -> None:
    name = table.schema.name
    match action.condition.kind:
        case ConditionKind.ABSENT:
            if (await connection.execute(table.insert_absent, action.record)).rowcount == 0:
                raise Conflict(f"{name} {action.key} already exists")
        case ConditionKind.ANY:
            if await _upsert(connection, table, table.upsert_own, action) == 0:
                raise Conflict(f"{name} {action.key} already exists")
        case ConditionKind.NOT_NEWER:
            upsert, _ = table.not_newer(_stamp_field(action))
            if await _upsert(connection, table, upsert, action) == 0:
                await _refuse_newer(connection, table, action)
        case ConditionKind.PRESENT:
            if action.condition.equals:
                await _check_present(connection, table, action)
            params = {**table.values(action.record), **table.key_params(action.tenant, action.key)}
            if (await connection.execute(table.update_owned, params)).rowcount == 0:
                raise NotFound(f"{name} {action.key} not found")
        case kind:
            assert_never(kind)


async def apply_delete(
    connection: AsyncConnection, table: EntityTable[Any], action: DeleteAction
) -> None:
    name = table.schema.name
    params = table.key_params(action.tenant, action.key)
    match action.condition.kind:
        case ConditionKind.ABSENT:
            if await key_taken(connection, table, params):
                raise Conflict(f"{name} {action.key} already exists")
        case ConditionKind.NOT_NEWER:
            _, remove = table.not_newer(_stamp_field(action))
            stamp = {"stamp": action.condition.stamp[1]} if action.condition.stamp else {}
            if (await connection.execute(remove, {**params, **stamp})).rowcount == 0:
                await _refuse_newer(connection, table, action)
        case ConditionKind.ANY:  # deleting what is not there (or not ours) is a no-op
            await connection.execute(table.delete_owned, params)
        case ConditionKind.PRESENT:
            if action.condition.equals:
                await _check_present(connection, table, action)
            if (await connection.execute(table.delete_owned, params)).rowcount == 0:
                raise NotFound(f"{name} {action.key} not found")
        case kind:
            assert_never(kind)


async def apply_increment(
    connection: AsyncConnection,
    counters: EntityTable[Any],
    action: IncrementAction,
) -> None:
    """One statement: create the counter or add to it, unless that would pass the limit or
    drop below zero; only a refused change reads the counter, to say which rule it broke
    (the reference's rules in :meth:`IncrementAction.applied_to`)."""
    params = counters.key_params(action.tenant, action.key)
    value, updated_at = counters.column("value"), counters.column("updated_at")
    changed = {"value": value + action.by, "updated_at": utc_now()}
    if action.by > 0:
        first = action.applied_to(None)  # refuses a step past the limit on its own
        upsert = counters.insert(counters.table).on_conflict_do_update(
            index_elements=list(counters.key_columns),
            set_={value: changed["value"], updated_at: changed["updated_at"]},
            where=None if action.limit is None else value + action.by <= action.limit,
        )
        done = (await connection.execute(upsert, first)).rowcount
    else:
        lower = update(counters.table).where(counters.owned, value + action.by >= 0)
        done = (await connection.execute(lower.values(changed), params)).rowcount
    if done:
        return
    locked = select(value).where(counters.owned).with_for_update()
    action.applied_to((await connection.execute(locked, params)).scalar_one_or_none())
    raise ConditionFailed(f"{action.counter_name} changed while it was updated")


async def check_guards(
    connection: AsyncConnection,
    table_of: Callable[[EntitySchema[Any]], EntityTable[Any]],
    actions: Sequence[Action],
) -> None:
    """Refuse (``HasDependents``) a guarded delete whose dependents are still there. Runs
    last, so the unit's own deletes are already gone from the count."""
    for action in actions:
        if isinstance(action, DeleteAction):
            for guard in action.guards:
                if guard.covered:  # a wider guard of the unit counts its records
                    continue
                resolved = resolve(guard.schema, action.tenant, guard.query, None)
                statement = count_statement(table_of(guard.schema), resolved, action.tenant)
                if (await connection.execute(statement)).scalar_one():
                    raise guard.refuse(action.schema.name, action.key)
