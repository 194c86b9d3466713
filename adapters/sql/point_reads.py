"""The raw path of a SQLite point read: SQLAlchemy compiles the statement once (SQL text,
parameter order, each column's result processing), and ``sqlite3`` runs it on a connection
of this store's own, as a plain script would.

Taken only while nothing listens to the engine's statements beyond the store's own
telemetry hook, and no observer (a tracer) follows the call; otherwise the read goes
through SQLAlchemy's execution, whose events then see it (statement counts, spans).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Engine, Select

from aace.adapters.observing import OBSERVER

__all__ = ["PointReads", "StoredRecord"]

Processor = Callable[[Any], Any] | None


class StoredRecord(dict[str, Any]):
    """A record read on the raw path, with the row exactly as SQLite stored it (``stored``:
    text, numbers and NULLs, so hashable), by which the table remembers what it checked."""

    __slots__ = ("stored",)

    def __init__(self, pairs: Any, stored: tuple[Any, ...]) -> None:
        super().__init__(pairs)
        self.stored = stored


class _Prepared:
    """One compiled read: its text, its parameter names in order, its columns' names and
    result processors."""

    def __init__(self, statement: Select[Any], engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.names = tuple(compiled.positiontup or ())
        columns = list(statement.selected_columns)
        self.columns = tuple(c.name for c in columns)
        self.processors: tuple[Processor, ...] = tuple(
            c.type._cached_result_processor(dialect, None) for c in columns
        )


class PointReads:
    """Compiled point reads and the idle raw connections they run on (taken and given back
    without a lock: ``deque.pop`` and ``append`` are atomic)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._listeners = len(engine.dispatch.before_cursor_execute)
        self._prepared: dict[int, tuple[Select[Any], _Prepared]] = {}
        self._idle: deque[Any] = deque()
        self._opened: list[Any] = []

    def usable(self) -> bool:
        """Whether the raw path may run: nobody else listens, nothing observes."""
        return (
            OBSERVER.get() is None
            and len(self._engine.dispatch.before_cursor_execute) <= self._listeners
        )

    def records(self, statement: Select[Any], params: Mapping[str, Any]) -> list[StoredRecord]:
        """The rows of ``statement`` as records (column name to value, processed as
        SQLAlchemy would)."""
        found = self._prepared.get(id(statement))
        if found is None:
            found = self._prepared[id(statement)] = (statement, _Prepared(statement, self._engine))
        prepared = found[1]
        idle = self._idle
        connection = idle.pop() if idle else self._open()
        try:
            rows = connection.execute(prepared.sql, [params[n] for n in prepared.names]).fetchall()
        finally:
            idle.append(connection)
        columns, processors = prepared.columns, prepared.processors
        return [
            StoredRecord(
                zip(
                    columns,
                    [v if p is None else p(v) for p, v in zip(processors, row, strict=True)],
                    strict=True,
                ),
                row,
            )
            for row in rows
        ]

    def _open(self) -> Any:
        """A connection of the engine's (configured by its connect listeners), taken out
        of its pool for good."""
        fairy = self._engine.raw_connection()
        fairy.detach()
        connection = fairy.dbapi_connection
        self._opened.append(connection)
        return connection

    def close(self) -> None:
        self._idle.clear()
        for connection in self._opened:
            connection.close()
        self._opened.clear()
