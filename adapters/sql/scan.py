"""The SQL side of ``Repository.scan``: keyset pages in primary-key order, segments by
:func:`aace.domain.scan.bucket` of the key (the in-memory adapter's rule, so both SQL dialects
and the reference split a table alike). PostgreSQL computes it
with built-ins (``md5``, ``convert_to``, a ``bit(32)`` cast); SQLite with a deterministic
Python function the engine registers on each connection it opens.

Every segment walks the whole primary key (skipping the other segments' rows), so segments
divide the records among workers, not the reading the database does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import BIT

from aace.adapters.sql.entity_table import EntityTable
from aace.domain.scan import ScanRequest

__all__ = ["BUCKET_FUNCTION", "ScanPage", "page_of", "statement"]

#: The SQLite function that computes a key's bucket (registered on every connection).
BUCKET_FUNCTION = "aace_scan_bucket"
#: A page's rows and the position after them.
ScanPage = tuple[list[Row[Any]], str | None]


def _bucket_of(table: EntityTable[Any], dialect: str) -> ColumnElement[Any]:
    hash_column, range_column = table.key_columns
    if dialect == "sqlite":
        return getattr(func, BUCKET_FUNCTION)(hash_column, range_column)  # type: ignore[no-any-return]
    text = func.concat(hash_column, literal_column("chr(31)"), range_column)
    digest = func.md5(func.convert_to(text, literal_column("'UTF8'")))
    prefix = literal_column("'x'", Text()).concat(func.substr(digest, 1, 8))
    return cast(cast(prefix, BIT(32)), BigInteger())


def statement(table: EntityTable[Any], dialect: str, scan: ScanRequest) -> Select[Any]:
    """The page plus one row of lookahead, so a full last page is known to be last."""
    hash_column, range_column = table.key_columns
    statement = select(table.table)
    if scan.tenant is not None:
        statement = statement.where(table.tenant_column == str(scan.tenant))
    if scan.after is not None:
        start = tuple_(
            literal(scan.after[0], hash_column.type), literal(scan.after[1], range_column.type)
        )
        statement = statement.where(tuple_(hash_column, range_column) > start)
    if scan.segments > 1:
        statement = statement.where(_bucket_of(table, dialect) % scan.segments == scan.segment)
    return statement.order_by(hash_column, range_column).limit(scan.limit + 1)


def page_of(rows: Sequence[Row[Any]], table: EntityTable[Any], scan: ScanRequest) -> ScanPage:
    """One page of rows (of :func:`statement`'s) and the position after it (``None`` when the
    segment is done)."""
    page = list(rows[: scan.limit])
    if len(rows) <= scan.limit:
        return page, None
    last = page[-1]._mapping
    hash_column, range_column = table.key_columns
    return page, scan.position(last[hash_column.name], last[range_column.name])
