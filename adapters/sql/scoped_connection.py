"""The asyncpg connection class of a PostgreSQL store (its own module, so that only a
PostgreSQL engine imports asyncpg: a SQLite store never loads it)."""

from __future__ import annotations

from typing import Any

import asyncpg

from aace.adapters.sql.scope import Scope

__all__ = ["ScopedConnection"]


class ScopedConnection(asyncpg.Connection):  # type: ignore[misc]
    """The asyncpg connection of a PostgreSQL store: the next ``BEGIN`` it sends carries the
    scope set by :meth:`begin_as` (one simple query, so no extra round trip)."""

    _aace_scope: Scope | None = None

    def begin_as(self, scope: Scope | None) -> None:
        """Make the next ``BEGIN`` set ``scope`` (``None``: clear a scope not yet used)."""
        self._aace_scope = scope

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:  # noqa: ASYNC109 - asyncpg's signature
        scope = self._aace_scope
        if scope is not None and not args and query.startswith("BEGIN"):
            self._aace_scope = None
            query = query + scope.prologue()
        result: str = await super().execute(query, *args, timeout=timeout)
        return result
