"""Listings as SQL: the WHERE of an index query, keyset seeks with row values, ordering."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, select, tuple_

from aace.adapters.sql.entity_table import EntityTable
from aace.domain.query import Op, RangeCondition, ResolvedQuery
from aace.domain.tenancy import PartitionKey

__all__ = ["count_statement", "page_statement"]


def _range(table: EntityTable[Any], name: str, condition: RangeCondition) -> ColumnElement[bool]:
    column = table.column(name)
    values = [literal(v, column.type) for v in condition.values]
    if condition.op is Op.EQ:
        return column == values[0]
    if condition.op is Op.LT:
        return column < values[0]
    if condition.op is Op.LE:
        return column <= values[0]
    if condition.op is Op.GT:
        return column > values[0]
    if condition.op is Op.GE:
        return column >= values[0]
    if condition.op is Op.BETWEEN:
        return and_(column >= values[0], column <= values[1])
    prefix = str(condition.values[0])
    # Not LIKE: SQLite's LIKE ignores case. The >= bound lets the index seek.
    return and_(
        column >= values[0],
        func.substr(column, 1, len(prefix)) == literal(prefix, column.type),
    )


def _where(
    table: EntityTable[Any], resolved: ResolvedQuery, tenant: PartitionKey
) -> list[ColumnElement[bool]]:
    """Hash value, tenant, sparse index (no range value: not listed), range, filters."""
    query = resolved.query
    clauses = [table.column(resolved.hash_attr) == resolved.hash_value]
    if resolved.tenant_filter:
        clauses.append(table.partition_key == str(tenant))
    clauses.append(table.column(resolved.range_attr).is_not(None))
    if query.range is not None:
        clauses.append(_range(table, resolved.range_attr, query.range))
    clauses.extend(table.equals(name, value) for name, value in query.filters.items())
    return clauses


def _after(table: EntityTable[Any], resolved: ResolvedQuery) -> ColumnElement[bool]:
    """Strictly past the cursor's position, in the listing's direction."""
    assert resolved.after is not None
    columns = [table.column(f) for f in resolved.order_fields]
    values = [
        literal(resolved.after[f], c.type)
        for f, c in zip(resolved.order_fields, columns, strict=True)
    ]
    if len(columns) == 1:
        left: Any = columns[0]
        right: Any = values[0]
    else:
        left, right = tuple_(*columns), tuple_(*values)
    return left < right if resolved.query.descending else left > right  # type: ignore[no-any-return]


def page_statement(
    table: EntityTable[Any], resolved: ResolvedQuery, tenant: PartitionKey
) -> Select[Any]:
    """One page plus one row of lookahead, so a full last page is known to be last."""
    clauses = _where(table, resolved, tenant)
    if resolved.after is not None:
        clauses.append(_after(table, resolved))
    columns = [table.column(f) for f in resolved.order_fields]
    order = (
        [c.desc() for c in columns] if resolved.query.descending else [c.asc() for c in columns]
    )
    return select(table.table).where(*clauses).order_by(*order).limit(resolved.query.limit + 1)


def count_statement(
    table: EntityTable[Any], resolved: ResolvedQuery, tenant: PartitionKey
) -> Select[Any]:
    return select(func.count()).select_from(table.table).where(*_where(table, resolved, tenant))
