"""A unit of work as one database transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.scope import write_scope
from aace.adapters.sql.writes import (
    apply_check,
    apply_delete,
    apply_increment,
    apply_put,
    check_guards,
)
from aace.domain.ports import ConditionKind
from aace.domain.unit_of_work import (
    Action,
    BufferedUnitOfWork,
    CheckAction,
    DeleteAction,
    IncrementAction,
    writes_registry,
)

if TYPE_CHECKING:
    from aace.adapters.sql.store import SqlStore

__all__ = ["MAX_ACTIONS", "SqlUnitOfWork"]

#: Actions per unit of work. A SQL transaction could hold far more; this bound keeps lock
#: times short (SQLite has one writer at a time) and the buffered records small.
MAX_ACTIONS = 1000


class SqlUnitOfWork(BufferedUnitOfWork):
    """Applies the buffered actions in order inside one transaction (retried as a whole
    after a deadlock or serialization failure); the first failed condition rolls back. A
    lone write that is one statement skips ``BEGIN`` on SQLite. A required record
    (:class:`CheckAction`) is read under a shared lock (``FOR SHARE`` on PostgreSQL; on
    SQLite ``BEGIN IMMEDIATE`` already excludes every other writer), so nobody deletes or
    changes it before the transaction commits. A guarded delete's dependents are counted
    after every action, in the same transaction: the delete holds the parent's row lock,
    so a child that required its parent either committed before (and is counted) or waits
    and then finds the parent gone."""

    max_actions = MAX_ACTIONS

    def __init__(self, store: SqlStore) -> None:
        super().__init__()
        self._store = store

    async def _apply(self, actions: Sequence[Action]) -> None:
        store = self._store
        db = store.database

        async def work(connection: AsyncConnection) -> None:
            for action in actions:
                if isinstance(action, IncrementAction):
                    counters = store.entity_table(action.schema)
                    await apply_increment(connection, counters, action)
                elif isinstance(action, CheckAction):
                    await apply_check(connection, store.entity_table(action.schema), action)
                elif isinstance(action, DeleteAction):
                    await apply_delete(connection, store.entity_table(action.schema), action)
                else:
                    await apply_put(connection, store.entity_table(action.schema), action)
            await check_guards(connection, store.entity_table, actions)

        tenants = (str(a.tenant) for a in actions if not a.schema.platform)
        scope = write_scope(tenants, registry=writes_registry(actions))
        await db.transaction(
            work,
            scope=scope,
            one_statement=len(actions) == 1 and _one_write(actions[0]),
        )


def _one_write(action: Action) -> bool:
    """Whether the action's statements start with its write (no read first): a condition
    that compares attributes, or a delete that requires absence, reads first; a check is
    only a read (it must run inside a transaction to hold anything)."""
    if isinstance(action, IncrementAction):
        return True
    if isinstance(action, CheckAction):
        return False
    if isinstance(action, DeleteAction) and action.guards:
        return False  # the guard's count runs after the delete, in the same transaction
    condition = action.condition
    if condition.equals:
        return False
    return not (isinstance(action, DeleteAction) and condition.kind is ConditionKind.ABSENT)
