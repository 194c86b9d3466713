"""Listings as SQL: the WHERE of an index query and its filters, keyset seeks with row
values, ordering."""

from __future__ import annotations

from typing import Any, assert_never

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import NullType

from aace.adapters.sql.entity_table import EntityTable
from aace.adapters.sql.types import Number
from aace.domain.filters import All, Between, Contains, Equals, Filter, In, Nested, TimeRange
from aace.domain.query import Op, RangeCondition, ResolvedQuery
from aace.domain.schema import AttrKind
from aace.domain.tenancy import PartitionKey

__all__ = ["count_statement", "page_statement"]


def _range(table: EntityTable[Any], name: str, condition: RangeCondition) -> ColumnElement[bool]:
    column = table.column(name)
    values = [literal(v, column.type) for v in condition.values]
    match condition.op:
        case Op.EQ:
            return column == values[0]
        case Op.LT:
            return column < values[0]
        case Op.LE:
            return column <= values[0]
        case Op.GT:
            return column > values[0]
        case Op.GE:
            return column >= values[0]
        case Op.BETWEEN:
            return and_(column >= values[0], column <= values[1])
        case Op.BEGINS_WITH:
            prefix = str(condition.values[0])
            # Not LIKE: SQLite's LIKE ignores case. The >= bound lets the index seek.
            return and_(
                column >= values[0],
                func.substr(column, 1, len(prefix)) == literal(prefix, column.type),
            )
        case _:
            assert_never(condition.op)


class _PerDialect(ColumnElement[Any]):
    """A condition spelled one way for SQLite and another for PostgreSQL."""

    type = NullType()  # typed Boolean, SQLite would append "= 1"
    inherit_cache = False  # its parts are not traversed for a cache key: never cache it

    def __init__(self, sqlite: ColumnElement[bool], postgresql: ColumnElement[bool]) -> None:
        self.sqlite = sqlite
        self.postgresql = postgresql


@compiles(_PerDialect)
def _compile_per_dialect(element: _PerDialect, compiler: SQLCompiler, **kw: Any) -> str:
    chosen = element.postgresql if compiler.dialect.name == "postgresql" else element.sqlite
    return compiler.process(chosen.self_group(), **kw)


#: A ``\u0000`` escape in JSON text (not an escaped backslash before ``u0000``): PostgreSQL
#: refuses to extract anything from a ``json`` value that holds one.
_NUL_ESCAPE = r"(^|[^\\])(\\\\)*\\u0000"


def _nested_sqlite(column: Any, nested: Nested) -> ColumnElement[bool]:
    path = "$" + "".join(f'."{key}"' for key in nested.path)  # keys are checked names
    json_type, value = func.json_type(column, path), func.json_extract(column, path)
    if nested.kind is AttrKind.B:
        return json_type == ("true" if nested.value else "false")
    if nested.kind is AttrKind.S:
        return and_(json_type == "text", value == literal(nested.value))
    return and_(json_type.in_(["integer", "real"]), value == literal(nested.value, Number()))


def _in_list_sqlite(column: Any, nested: Nested) -> ColumnElement[bool]:
    path = "$" + "".join(f'."{key}"' for key in nested.path)
    each = func.json_each(column, path).table_valued("value", "type")
    found = select(literal(1)).select_from(each)
    found = found.where(each.c.type == "text", each.c.value == literal(nested.value))
    return and_(func.json_type(column, path) == "array", found.exists())


def _in_list_postgres(column: Any, nested: Nested) -> ColumnElement[bool]:
    inner = cast(column, JSONB)[tuple(nested.path)]
    wanted = func.to_jsonb(cast(literal(nested.value), Text()))
    matched = and_(func.jsonb_typeof(inner) == "array", inner.contains(wanted))
    # jsonb refuses text holding a NUL character: such a map never matches.
    return case((cast(column, Text()).regexp_match(_NUL_ESCAPE), false()), else_=matched)


def _nested_postgres(column: Any, nested: Nested) -> ColumnElement[bool]:
    json_type = func.json_typeof(func.json_extract_path(column, *nested.path))
    text = func.json_extract_path_text(column, *nested.path)
    if nested.kind is AttrKind.B:
        matched = and_(json_type == "boolean", text == ("true" if nested.value else "false"))
    elif nested.kind is AttrKind.S:
        matched = and_(json_type == "string", text == literal(nested.value))
    else:  # CASE, so text that is not a number is never cast
        is_number = json_type == "number"
        equal = cast(text, Numeric()) == literal(nested.value, Number())
        matched = case((is_number, equal), else_=false())
    # A map holding a NUL character cannot be searched there: it never matches.
    return case((cast(column, Text()).regexp_match(_NUL_ESCAPE), false()), else_=matched)


def _bounds(column: Any, low: Any, high: Any, strict: bool) -> ColumnElement[bool]:
    """A value present and within the bounds given (strictly or inclusively)."""
    bounds: list[ColumnElement[bool]] = [column.is_not(None)]
    if low is not None:
        bound = literal(low, column.type)
        bounds.append(column > bound if strict else column >= bound)
    if high is not None:
        bound = literal(high, column.type)
        bounds.append(column < bound if strict else column <= bound)
    return and_(*bounds)


def _filter(table: EntityTable[Any], name: str, condition: Filter) -> ColumnElement[bool]:
    """One filter as SQL, with the reference semantics of its ``matches`` (every kind of
    the closed set: a new one is a type error here until it is translated)."""
    column = table.column(name)
    match condition:
        case All(parts=parts):
            return and_(*(_filter(table, name, part) for part in parts))
        case In(values=values):
            return column.in_(list(values)) if values else false()
        case Contains(text=text):
            wanted = literal(text, column.type)  # escaped as the stored text is
            return _PerDialect(func.instr(column, wanted) > 0, func.strpos(column, wanted) > 0)
        case TimeRange(after=after, before=before):
            return _bounds(column, after, before, strict=True)
        case Between(low=low, high=high):
            return _bounds(column, low, high, strict=False)
        case Nested(in_list=True):
            return _PerDialect(
                _in_list_sqlite(column, condition), _in_list_postgres(column, condition)
            )
        case Nested():
            return _PerDialect(
                _nested_sqlite(column, condition), _nested_postgres(column, condition)
            )
        case Equals(value=value):
            return table.equals(name, value)
        case _:
            assert_never(condition)


def _where(
    table: EntityTable[Any], resolved: ResolvedQuery, tenant: PartitionKey
) -> list[ColumnElement[bool]]:
    """Hash value, tenant, sparse index (no range value: not listed), range, filters."""
    query = resolved.query
    clauses = [table.column(resolved.hash_attr) == resolved.hash_value]
    if resolved.tenant_filter:
        clauses.append(table.tenant_clause(tenant))
    clauses.append(table.column(resolved.range_attr).is_not(None))
    if query.range is not None:
        clauses.append(_range(table, resolved.range_attr, query.range))
    clauses.extend(_filter(table, name, condition) for name, condition in resolved.filters)
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
