"""Each SQL statement a traced service call sends, told to its observer (a client span).

SQLAlchemy's engine events mark where a statement starts and ends on the cursor, whatever
the dialect and SQLAlchemy's version (the contrib instrumentation sees nothing on 2.1). The
listeners cost one context-variable lookup per statement when nothing observes. What they
report: the operation (the statement's first keyword) and the table, never the SQL text or
its parameters.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.sql import Delete, Insert, Select, TableClause, Update

from aace.adapters.observing import OBSERVER, Finish

__all__ = ["observe_statements"]

#: Where the end of an observed statement waits on its execution context.
_FINISH = "_aace_finish"


def _operation(statement: str) -> str:
    """``SELECT``, ``INSERT``, ``BEGIN``, …: the statement's first keyword."""
    words = statement.split(None, 1)
    return words[0].upper() if words else ""


def _tables(context: Any) -> tuple[str, ...]:
    """The tables a compiled statement names at its top (none for text SQL or a join)."""
    compiled = getattr(context, "compiled", None)
    statement = getattr(compiled, "statement", None)
    if isinstance(statement, Insert | Update | Delete):
        table = statement.table
        return (table.name,) if isinstance(table, TableClause) else ()
    if isinstance(statement, Select):
        froms = statement.get_final_froms()
        return tuple(f.name for f in froms if isinstance(f, TableClause))
    return ()


def observe_statements(sync_engine: Any, system: str) -> None:
    """Tell the current observer about each statement ``sync_engine`` runs (``system``: the
    ``db.system.name``, ``sqlite`` or ``postgresql``)."""

    @event.listens_for(sync_engine, "before_cursor_execute")
    def _started(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        observer = OBSERVER.get()
        if observer is not None and context is not None:
            finish = observer.request(system, _operation(statement), _tables(context))
            setattr(context, _FINISH, finish)

    @event.listens_for(sync_engine, "after_cursor_execute")
    def _ended(
        conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool
    ) -> None:
        _end(context, None)

    @event.listens_for(sync_engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        _end(exception_context.execution_context, exception_context.original_exception)


def _end(context: Any, error: BaseException | None) -> None:
    finish: Finish | None = getattr(context, _FINISH, None)
    if finish is not None:
        setattr(context, _FINISH, None)
        finish(error)
