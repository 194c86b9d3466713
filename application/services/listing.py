"""A service's listing described as data: which keyword filters it takes, what each means
as a :mod:`~aace.domain.filters` value, and its default order. :func:`listing_query` turns
the keywords of one ``list`` / ``count`` call into the domain's :class:`Query`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.filters import (
    All,
    Between,
    Contains,
    Filter,
    FilterTarget,
    In,
    Nested,
    TimeRange,
    as_filter,
    is_scalar_of,
)
from aace.domain.query import Query
from aace.domain.schema import EntitySchema, IndexSpec

__all__ = [
    "Choice",
    "FilterArg",
    "Listing",
    "at_least",
    "at_most",
    "contains",
    "eq",
    "listing_query",
    "nested",
    "one_of",
]


@attrs.frozen
class Choice:
    """A keyword that picks what other keywords stand for: runs' ``token_type``
    (``completion``, ``prompt`` or ``total``, the default) makes ``min_tokens`` the keyword
    ``min_prompt_tokens`` when it is ``prompt``. A refusal still names what the caller wrote."""

    keyword: str
    options: tuple[str, ...]
    default: str
    #: keyword -> the keyword it stands for, ``{}`` where the chosen option goes
    stands_for: Mapping[str, str]

    def pick(self, keywords: Mapping[str, Any]) -> str:
        """The option the call's keywords choose; one not offered is refused by name."""
        chosen = keywords.get(self.keyword)
        chosen = self.default if chosen is None else chosen
        if not isinstance(chosen, str) or chosen not in self.options:
            raise ValidationError(self.keyword, f"must be one of {', '.join(self.options)}")
        return chosen

    def keyword_for(self, name: str, keywords: Mapping[str, Any]) -> str:
        """The keyword ``name`` stands for in a call with ``keywords``."""
        return self.stands_for[name].format(self.pick(keywords))


@attrs.frozen
class FilterArg:
    """One keyword filter: the attribute it reads and the filter a value makes."""

    attribute: str
    make: Callable[[Any], Any]


def eq(attribute: str) -> FilterArg:
    """Equality (``agent_uuid="…"``)."""
    return FilterArg(attribute, lambda value: value)


def one_of(attribute: str) -> FilterArg:
    """An IN-list (``statuses=["active"]``)."""
    return FilterArg(attribute, In)


def contains(attribute: str) -> FilterArg:
    """A case-sensitive substring (``agent_name_contains="Bot"``)."""
    return FilterArg(attribute, Contains)


def nested(attribute: str, path: str, *, in_list: bool = False) -> FilterArg:
    """Equality inside a map (``model="gpt-4o"`` is ``configuration["model"]``); with
    ``in_list``, a list inside the map holding the value."""
    return FilterArg(attribute, lambda value: Nested(path, value, in_list=in_list))


def _after(attribute: str) -> FilterArg:
    return FilterArg(attribute, lambda value: TimeRange(after=value))


def _before(attribute: str) -> FilterArg:
    return FilterArg(attribute, lambda value: TimeRange(before=value))


def at_least(attribute: str) -> FilterArg:
    """An inclusive lower bound on a number."""
    return FilterArg(attribute, lambda value: Between(low=value))


def at_most(attribute: str) -> FilterArg:
    """An inclusive upper bound on a number."""
    return FilterArg(attribute, lambda value: Between(high=value))


def _built(name: str, make: Callable[[Any], Any], value: Any, target: FilterTarget) -> Any:
    """The filter keyword ``name`` makes of the caller's ``value``, checked (its values, its
    fit to the attribute) before any I/O: a refusal names ``name``, the argument the caller
    wrote. A plain value (equality) must be of the attribute's kind."""
    made = make(value)
    if not isinstance(made, Filter) and not is_scalar_of(target.kind, made):
        kind = target.kind.name
        raise ValidationError(name, f"must be a {kind} value, got {type(value).__name__}")
    as_filter(made).check(name, target)
    return made


def _merge(first: Any, second: Any) -> Filter:
    """Two keyword filters on one attribute as one: bounds as one range, anything else as
    :class:`All` of them."""
    if isinstance(first, TimeRange) and isinstance(second, TimeRange):
        return TimeRange(first.after or second.after, first.before or second.before)
    if isinstance(first, Between) and isinstance(second, Between):
        low = first.low if first.low is not None else second.low
        high = first.high if first.high is not None else second.high
        return Between(low, high)
    parts = first.parts if isinstance(first, All) else (first,)
    return All((*parts, second))


@attrs.frozen
class Listing:
    """A service's listing: its keyword filters, its default order (``order`` names the
    attribute, ``None`` for key order) and the :class:`Choice` keywords that pick what other
    keywords stand for. Time-range keywords (``updated_after`` / ``updated_before``, or
    ``created_*`` where records keep only ``created_at``) are added from the schema."""

    filters: Mapping[str, FilterArg] = attrs.field(factory=dict)
    order: str | None = "updated_at"
    descending: bool = False
    choices: tuple[Choice, ...] = ()

    def all_filters(self, schema: EntitySchema[Any]) -> dict[str, FilterArg]:
        kinds = schema.attribute_kinds
        stamp = next((n for n in ("updated_at", "created_at") if n in kinds), None)
        extra = {}
        if stamp is not None:
            prefix = stamp.removesuffix("_at")
            extra = {f"{prefix}_after": _after(stamp), f"{prefix}_before": _before(stamp)}
        return {**extra, **self.filters}


def _source(
    schema: EntitySchema[Any], order: str | None, parent_known: bool
) -> tuple[IndexSpec | None, bool]:
    """(the index a listing in ``order`` reads, ``None`` for the table; whether it is
    hashed on the parent). A table hashed on a parent is read by that parent when the
    call names it, else through a tenant index (a GSI) where one fits."""
    hashes = [schema.hash_key] if schema.tenant_hashed or parent_known else []
    if not schema.tenant_hashed:
        hashes.append("partition_key")
    for hash_attr in hashes:
        by_parent = hash_attr == schema.hash_key
        if order is None or (order == schema.range_key and by_parent):
            if by_parent:
                return None, True
            continue
        for index in schema.indexes:
            if index.range_key == order and index.hash_key == hash_attr:
                return index, by_parent
    if not parent_known and not schema.tenant_hashed:
        raise ValidationError(
            schema.hash_key, f"is needed to list {schema.name} (records are grouped by it)"
        )
    sortable = sorted({i.range_key for i in schema.indexes if i.hash_key in hashes})
    raise ValidationError(
        "order_by", f"{schema.name} cannot be ordered by {order!r} (indexed: {sortable})"
    )


def listing_query(
    schema: EntitySchema[Any],
    listing: Listing,
    keywords: Mapping[str, Any],
    *,
    order_by: str | None = None,
    descending: bool | None = None,
    limit: int = 1,
    cursor: str | None = None,
) -> Query:
    """The query one ``list`` / ``count`` call stands for. An unknown keyword, or a value
    its filter refuses, is ``ValidationError`` naming the keyword."""
    known = listing.all_filters(schema)
    choosers = {choice.keyword: choice for choice in listing.choices}
    standing = {name: choice for choice in listing.choices for name in choice.stands_for}
    filters: dict[str, Any] = {}
    for name, value in keywords.items():
        if name in choosers:
            choosers[name].pick(keywords)  # checked even when no keyword reads it
            continue
        real = standing[name].keyword_for(name, keywords) if name in standing else name
        if real not in known:
            options = ", ".join(sorted({*known, *choosers, *standing}))
            raise ValidationError(name, f"is not a filter of {schema.name} (known: {options})")
        if value is None:
            continue  # an unset keyword
        arg = known[real]
        target = FilterTarget.of(schema, arg.attribute)
        made = _built(name, arg.make, value, target)
        if arg.attribute in filters:
            made = _merge(filters[arg.attribute], made)
            as_filter(made).check(name, target)
        filters[arg.attribute] = made
    parent = None
    if not schema.tenant_hashed and isinstance(filters.get(schema.hash_key), str):
        parent = filters.pop(schema.hash_key)
    if order_by is not None and not isinstance(order_by, str):
        raise ValidationError("order_by", "must be an attribute name")
    if descending is not None and not isinstance(descending, bool):
        raise ValidationError("descending", "must be a bool or None")
    order = order_by if order_by is not None else listing.order
    index, by_parent = _source(schema, order, parent is not None)
    if parent is not None and not by_parent:
        filters[schema.hash_key] = parent  # read through a tenant index: filter on it
        parent = None
    return Query(
        index=None if index is None else index.name,
        parent=parent,
        descending=listing.descending if descending is None else descending,
        limit=limit,
        cursor=cursor,
        filters=filters,
    )
