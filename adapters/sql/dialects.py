"""The dialect-specific INSERT (both know ``ON CONFLICT … DO NOTHING / DO UPDATE``)."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

__all__ = ["Insert", "dialect_insert"]

Insert = postgresql.Insert | sqlite.Insert


def dialect_insert(dialect: str, table: Table) -> Insert:
    """``INSERT INTO table`` for ``dialect`` (``postgresql`` or ``sqlite``)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
