"""Listing: index queries with a range condition and keyset pages; their cursors are signed
by :class:`~aace.domain.cursors.CursorCodec` (re-exported here)."""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from aace.domain.core_schemas import PydanticSerializer
from aace.domain.cursors import CursorCodec, json_default
from aace.domain.errors import InvalidCursor, ValidationError
from aace.domain.filters import Filter, FilterTarget, as_filter, check_key_text
from aace.domain.schema import AttrKind, EntitySchema, IndexSpec
from aace.domain.tenancy import PartitionKey

if TYPE_CHECKING:
    from aace.domain.serialization import JsonOptions

__all__ = [
    "MAX_PAGE_SIZE",
    "CursorCodec",
    "Op",
    "Page",
    "Query",
    "RangeCondition",
    "ResolvedQuery",
    "next_cursor",
    "resolve",
]

T = TypeVar("T")
MAX_PAGE_SIZE = 1000
Scalar = str | int | float | bool | datetime


class Op(enum.Enum):
    EQ = "="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BETWEEN = "between"
    BEGINS_WITH = "begins_with"


@attrs.frozen
class RangeCondition:
    """A condition on the range attribute of the table or index being listed."""

    op: Op
    values: tuple[str | datetime, ...]

    @classmethod
    def eq(cls, value: str | datetime) -> RangeCondition:
        return cls(Op.EQ, (value,))

    @classmethod
    def lt(cls, value: str | datetime) -> RangeCondition:
        return cls(Op.LT, (value,))

    @classmethod
    def le(cls, value: str | datetime) -> RangeCondition:
        return cls(Op.LE, (value,))

    @classmethod
    def gt(cls, value: str | datetime) -> RangeCondition:
        return cls(Op.GT, (value,))

    @classmethod
    def ge(cls, value: str | datetime) -> RangeCondition:
        return cls(Op.GE, (value,))

    @classmethod
    def between(cls, low: str | datetime, high: str | datetime) -> RangeCondition:
        """Inclusive on both ends, as DynamoDB's ``BETWEEN``."""
        return cls(Op.BETWEEN, (low, high))

    @classmethod
    def begins_with(cls, prefix: str) -> RangeCondition:
        return cls(Op.BEGINS_WITH, (prefix,))

    def matches(self, value: Any) -> bool:
        """Whether a stored range value satisfies the condition (the reference semantics)."""
        if value is None:
            return False
        first = self.values[0]
        if self.op is Op.EQ:
            return bool(value == first)
        if self.op is Op.LT:
            return bool(value < first)
        if self.op is Op.LE:
            return bool(value <= first)
        if self.op is Op.GT:
            return bool(value > first)
        if self.op is Op.GE:
            return bool(value >= first)
        if self.op is Op.BETWEEN:
            return bool(first <= value <= self.values[1])
        return isinstance(value, str) and value.startswith(str(first))


@attrs.frozen
class Query:
    """What to list.

    ``index`` names a secondary index (``None`` lists by the table's range key). ``parent``
    is the hash value for tables and indexes hashed on a parent uuid (runs by
    ``thread_uuid``, sessions by ``coordination_uuid``, …); tables hashed on the tenant take
    it from the tenant. ``filters`` map attribute names to :mod:`~aace.domain.filters`
    values (``In``, ``Contains``, ``TimeRange``, ``Nested``); a plain value means equality.
    """

    index: str | None = None
    parent: str | None = None
    range: RangeCondition | None = None
    descending: bool = False
    limit: int = 50
    cursor: str | None = None
    filters: Mapping[str, Filter | Scalar | None] = attrs.field(factory=dict)


@attrs.frozen
class Page(Generic[T]):
    """One page of a listing; ``next_cursor`` is ``None`` on the last page. ``related``
    holds what ``include=`` asked for: ``related[relation][item key]`` is the related
    record, ``None``, or a list of them."""

    items: list[T]
    next_cursor: str | None = None
    related: Mapping[str, Mapping[tuple[str, ...], Any]] = attrs.field(factory=dict)
    __pydantic_serializer__ = PydanticSerializer()  # a page where the type says ``Any``

    def __json_data__(self, options: JsonOptions) -> dict[str, Any]:
        """The web shape (:mod:`aace.domain.serialization`)."""
        return {
            options.name("items"): options.data(self.items),
            options.name("next_cursor"): self.next_cursor,
            options.name("related"): options.related(self.related),
        }

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> dict[str, Any]:
        """``Page[T]`` as a pydantic type: items through ``T``'s schema (no pydantic import
        here: :mod:`aace.domain.core_schemas`)."""
        from aace.domain.core_schemas import container_core_schema, related_core_schema

        return container_core_schema(
            cls,
            source,
            handler,
            lambda item: {
                "items": {"type": "list", "items_schema": item},
                "next_cursor": {"type": "nullable", "schema": {"type": "str"}},
                "related": related_core_schema(),
            },
            lambda page, options: {
                "items": list(page.items),
                "next_cursor": page.next_cursor,
                "related": options.related(page.related),
            },
        )


@attrs.frozen
class ResolvedQuery:
    """A query checked against its schema, with everything an adapter needs spelled out,
    and the reference rules of a listing (which records it admits, in which order)."""

    tenant: PartitionKey
    schema: EntitySchema[Any]
    index: IndexSpec | None
    hash_attr: str
    hash_value: str
    range_attr: str
    order_fields: tuple[str, ...]
    query: Query
    #: Where the previous page stopped (``None`` for the first page), in record form.
    after: dict[str, Any] | None
    #: The query's filters, checked, plain values made :class:`~aace.domain.filters.Equals`.
    filters: tuple[tuple[str, Filter], ...] = ()

    @property
    def tenant_filter(self) -> bool:
        """True when the hash key is not the tenant, so rows must be checked one by one;
        never on a platform registry, whose records every tenant reads."""
        return not self.schema.platform and self.hash_attr != "partition_key"

    def sort_key(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(record[f] for f in self.order_fields)

    def admits(self, record: Mapping[str, Any]) -> bool:
        """Whether the listing holds ``record``: the tenant's own (any record of a platform
        registry), with the range attribute (indexes are sparse), meeting the range condition
        and every filter."""
        if not self.schema.visible_to(self.tenant, record.get("partition_key")):
            return False
        value = record.get(self.range_attr)
        if value is None:
            return False
        if self.query.range is not None and not self.query.range.matches(value):
            return False
        return all(f.matches(record.get(name)) for name, f in self.filters)

    def ordered(self, records: Iterable[Mapping[str, Any]]) -> list[Any]:
        """``records`` in the listing's order (range attribute, then the table key)."""
        return sorted(records, key=self.sort_key, reverse=self.query.descending)

    def beyond(self, record: Mapping[str, Any]) -> bool:
        """Whether ``record`` comes after the cursor's position (always, on a first page)."""
        if self.after is None:
            return True
        mine, theirs = self.sort_key(record), self.sort_key(self.after)
        return mine < theirs if self.query.descending else mine > theirs

    def position(self, record: Mapping[str, Any]) -> dict[str, Any]:
        return {f: record[f] for f in self.order_fields}


def _check_range_value(kind: AttrKind, value: object) -> None:
    """A bound of the range condition: an aware datetime, or text a key can hold."""
    if kind is not AttrKind.DT:
        check_key_text("range", value)
    elif not isinstance(value, datetime):
        raise ValidationError("range", f"must be a datetime, got {type(value).__name__}")
    elif value.tzinfo is None:
        raise ValidationError("range", "must be a timezone-aware datetime")


def resolve(
    schema: EntitySchema[Any],
    tenant: PartitionKey,
    query: Query,
    codec: CursorCodec | None,
) -> ResolvedQuery:
    """Validate ``query`` for ``schema`` and decode its cursor (bound to tenant and scope)."""
    schema.check_reader()
    if not isinstance(query.limit, int) or isinstance(query.limit, bool):
        raise ValidationError("limit", "must be an integer")
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        raise ValidationError("limit", f"must be between 1 and {MAX_PAGE_SIZE}")
    index = schema.index(query.index)
    hash_attr = index.hash_key if index else schema.hash_key
    range_attr = index.range_key if index else schema.range_key
    if hash_attr == "partition_key":
        if query.parent is not None:
            raise ValidationError("parent", f"{schema.name} is hashed on the tenant")
        hash_value = str(tenant)
    else:
        if query.parent is None:
            raise ValidationError("parent", f"listing {schema.name} needs its {hash_attr}")
        check_key_text("parent", query.parent)
        hash_value = query.parent
    kinds = schema.attribute_kinds
    if query.range is not None:
        for value in query.range.values:
            _check_range_value(kinds[range_attr], value)
        if query.range.op is Op.BEGINS_WITH and kinds[range_attr] is AttrKind.DT:
            raise ValidationError("range", "begins_with needs a string attribute")
    filters = []
    for name, wanted in query.filters.items():
        if name not in kinds:
            raise ValidationError(f"filters.{name}", f"is not an attribute of {schema.name}")
        checked = as_filter(wanted)
        checked.check(f"filters.{name}", FilterTarget.of(schema, name))
        filters.append((name, checked))
    order_fields = schema.order_fields(index)
    after = None
    if query.cursor is not None:
        if codec is None:
            raise InvalidCursor("this store was configured without a cursor codec")
        after = codec.decode(_scope(schema, tenant, query, hash_value), query.cursor)
        if set(after) != set(order_fields):
            raise InvalidCursor("cursor does not fit this listing")
        for name in order_fields:
            if kinds[name] is AttrKind.DT:
                try:
                    after[name] = datetime.fromisoformat(after[name])
                except (TypeError, ValueError) as exc:
                    raise InvalidCursor("cursor holds a malformed position") from exc
    return ResolvedQuery(
        tenant,
        schema,
        index,
        hash_attr,
        hash_value,
        range_attr,
        order_fields,
        query,
        after,
        tuple(filters),
    )


def next_cursor(resolved: ResolvedQuery, codec: CursorCodec, last: Mapping[str, Any]) -> str:
    """The cursor that continues ``resolved`` after the record ``last``."""
    scope = _scope(resolved.schema, resolved.tenant, resolved.query, resolved.hash_value)
    return codec.encode(scope, resolved.position(last))


def _scope(
    schema: EntitySchema[Any], tenant: PartitionKey, query: Query, hash_value: str
) -> bytes:
    parts = {
        "tenant": str(tenant),
        "entity": schema.name,
        "index": query.index,
        "hash": hash_value,
        "range": None
        if query.range is None
        else [
            query.range.op.value,
            *(json_default(v) if isinstance(v, datetime) else v for v in query.range.values),
        ],
        "desc": query.descending,
        "filters": sorted(
            ([name, as_filter(value).scope()] for name, value in query.filters.items()),
            key=lambda pair: str(pair[0]),
        ),
    }
    return json.dumps(parts, sort_keys=True, default=json_default).encode("utf-8")
