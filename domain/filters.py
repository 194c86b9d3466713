"""Listing filters as data: a closed set of small typed values with reference semantics.

A :class:`~aace.domain.query.Query` maps attribute names to filters; a plain value means
:class:`Equals`. :data:`Filter` is the closed union of the kinds: every adapter translates it
with ``match`` and ``assert_never``, so a new kind is a type error wherever it is missing.
Each filter checks itself (its values, and their fit to the attribute) before any I/O, says
which stored values it admits (``matches``, what the in-memory adapter runs and the others
reproduce), and has a stable form for the cursor's scope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, TypeAlias

import attrs

from aace.domain.errors import TooLarge, ValidationError
from aace.domain.records import MAX_ITEM_BYTES
from aace.domain.schema import AttrKind, EntitySchema
from aace.domain.values import MAX_RANGE_KEY_BYTES, check_json, check_text, utf8_size

__all__ = [
    "MAX_IN_VALUES",
    "All",
    "Between",
    "Contains",
    "Equals",
    "Filter",
    "FilterTarget",
    "In",
    "Nested",
    "TimeRange",
    "as_filter",
    "check_key_text",
    "is_scalar_of",
]

#: Values an IN-list may hold (DynamoDB's limit for one ``IN``).
MAX_IN_VALUES = 100
#: Names a nested path may use (they are spelled into SQLite's JSON paths).
_PATH_SEGMENT = re.compile(r"[A-Za-z0-9_\-]+")
_SCALAR_KINDS: dict[AttrKind, tuple[type, ...]] = {
    AttrKind.S: (str,),
    AttrKind.N: (int, float),
    AttrKind.B: (bool,),
    AttrKind.DT: (datetime,),
}


@attrs.frozen
class FilterTarget:
    """The attribute a filter reads: its kind, and whether it keys or indexes records (its
    text is then compared as a key's, which holds no NUL and at most 1 KB)."""

    kind: AttrKind
    keyed: bool = False

    @classmethod
    def of(cls, schema: EntitySchema[Any], name: str) -> FilterTarget:
        keyed = {schema.hash_key, schema.range_key, "partition_key"}
        keyed.update(n for index in schema.indexes for n in (index.hash_key, index.range_key))
        return cls(schema.attribute_kinds[name], name in keyed)


def _check_size(field: str, value: str, limit: int, name: str) -> None:
    """Refuse text longer than the ``name`` limit: no stored value could match it."""
    size = utf8_size(value)
    if size > limit:
        raise TooLarge(field, f"is {size} UTF-8 bytes, over the {name} of {limit}", limit=name)


def check_key_text(field: str, value: object) -> None:
    """Text compared with a key attribute (a parent, a range bound, a filter on a key): what
    every backend takes there (non-empty, no NUL, no lone surrogate, at most 1 KB)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be text, got {type(value).__name__}")
    if not value:
        raise ValidationError(field, "must not be empty (keys are never empty)")
    check_text(field, value)
    if "\x00" in value:
        raise ValidationError(field, "must not contain NUL (keys never hold it)")
    _check_size(field, value, MAX_RANGE_KEY_BYTES, "key size")


def _check_filter_text(field: str, value: str, target: FilterTarget) -> None:
    """Text a filter compares: valid Unicode, and no longer than any stored value can be."""
    if target.keyed:
        check_key_text(field, value)
        return
    check_text(field, value)
    _check_size(field, value, MAX_ITEM_BYTES, "item size")


def _check_aware(field: str, value: object) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(field, "must be a timezone-aware datetime")


def is_scalar_of(kind: AttrKind, value: object) -> bool:
    """Whether ``value`` is a plain value of an attribute of ``kind`` (finite numbers, no
    booleans for numbers, text for strings)."""
    if isinstance(value, bool) and kind is not AttrKind.B:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _SCALAR_KINDS.get(kind, ()))


def _check_scalar(field: str, value: object, target: FilterTarget) -> None:
    """A value compared with the attribute: text and numbers every backend can hold, aware
    datetimes."""
    if isinstance(value, datetime):
        _check_aware(field, value)
    elif isinstance(value, str):
        _check_filter_text(field, value, target)
    else:
        check_json(field, value)


@attrs.frozen
class Equals:
    """``attribute == value``, as Python compares (``None`` matches a missing value, a value
    of another type matches nothing). A plain value in ``Query.filters`` means this."""

    value: Any

    def matches(self, value: Any) -> bool:
        return bool(value == self.value)

    def check(self, field: str, target: FilterTarget) -> None:
        if self.value is not None:
            _check_scalar(field, self.value, target)

    def scope(self) -> Any:
        if isinstance(self.value, dict | list):
            return {"eq": self.value}  # never mistaken for another filter's form
        return self.value  # the form plain equality filters always had


def _values(values: Any) -> Any:
    """A list of values as a tuple (anything else is kept, for :meth:`In.check` to refuse)."""
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Mapping):
        return tuple(values)
    return values


def _path(path: Any) -> Any:
    """A path as a tuple of keys; a string is a dotted path (``"limits.max_tokens"``)."""
    if isinstance(path, str):
        return tuple(path.split("."))
    return _values(path)


@attrs.frozen
class In:
    """The attribute equals one of ``values`` (an empty list matches nothing). Values must
    be of the attribute's kind: strings, numbers, booleans or aware datetimes."""

    values: tuple[Any, ...] = attrs.field(converter=_values)

    def matches(self, value: Any) -> bool:
        return value is not None and any(value == v for v in self.values)

    def check(self, field: str, target: FilterTarget) -> None:
        kind = target.kind
        if kind not in _SCALAR_KINDS:
            raise ValidationError(field, "an IN-list needs a string, number, bool or datetime")
        if not isinstance(self.values, tuple):
            raise ValidationError(field, "an IN-list takes a list of values")
        if len(self.values) > MAX_IN_VALUES:
            raise ValidationError(field, f"an IN-list holds at most {MAX_IN_VALUES} values")
        for value in self.values:
            if not is_scalar_of(kind, value):
                raise ValidationError(field, f"holds {value!r}, not a {kind.name} value")
            _check_scalar(field, value, target)

    def scope(self) -> Any:
        return {"in": list(self.values)}


@attrs.frozen
class Contains:
    """The string attribute holds ``text`` (non-empty), case-sensitively."""

    text: str

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and self.text in value

    def check(self, field: str, target: FilterTarget) -> None:
        if target.kind is not AttrKind.S:
            raise ValidationError(field, "substring filters need a string attribute")
        if not isinstance(self.text, str) or not self.text:
            raise ValidationError(field, "the substring must be non-empty text")
        _check_filter_text(field, self.text, target)

    def scope(self) -> Any:
        return {"contains": self.text}


@attrs.frozen
class TimeRange:
    """The datetime attribute lies strictly after ``after`` and strictly before ``before``
    (either bound may be left out, not both)."""

    after: datetime | None = None
    before: datetime | None = None

    def matches(self, value: Any) -> bool:
        if not isinstance(value, datetime):
            return False
        if self.after is not None and not value > self.after:
            return False
        return self.before is None or value < self.before

    def check(self, field: str, target: FilterTarget) -> None:
        if target.kind is not AttrKind.DT:
            raise ValidationError(field, "time ranges need a datetime attribute")
        if self.after is None and self.before is None:
            raise ValidationError(field, "a time range needs after, before or both")
        for bound in (self.after, self.before):
            if bound is not None:
                _check_aware(field, bound)

    def scope(self) -> Any:
        return {"after": self.after, "before": self.before}


@attrs.frozen
class Between:
    """The number attribute lies between ``low`` and ``high``, both inclusive (either bound
    may be left out, not both); bounds are finite numbers, never booleans."""

    low: int | float | None = None
    high: int | float | None = None

    def matches(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        if self.low is not None and value < self.low:
            return False
        return self.high is None or value <= self.high

    def check(self, field: str, target: FilterTarget) -> None:
        if target.kind is not AttrKind.N:
            raise ValidationError(field, "number ranges need a number attribute")
        if self.low is None and self.high is None:
            raise ValidationError(field, "a number range needs a low bound, a high one or both")
        for bound in (self.low, self.high):
            if bound is not None and not is_scalar_of(AttrKind.N, bound):
                raise ValidationError(field, f"bounds are finite numbers, got {bound!r}")
            check_json(field, bound)  # within the range and precision every backend keeps

    def scope(self) -> Any:
        return {"low": self.low, "high": self.high}


@attrs.frozen
class Nested:
    """Inside a map attribute, the value at ``path`` (keys of nested maps, each of letters,
    digits, ``_`` or ``-``; a string is a dotted path) equals ``value``: a string (no NUL),
    a finite number or a bool, compared with its type (``1`` matches ``1.0``, never
    ``True``). With ``in_list``, the value at ``path`` is a list that holds ``value`` (a
    successor's ``agent_action.predecessors`` holding an agent's uuid)."""

    path: tuple[str, ...] = attrs.field(converter=_path)
    value: str | int | float | bool
    in_list: bool = attrs.field(default=False, kw_only=True)

    def matches(self, value: Any) -> bool:
        for key in self.path:
            if not isinstance(value, dict) or key not in value:
                return False
            value = value[key]
        if self.in_list:
            return isinstance(value, list) and any(self._equal(item) for item in value)
        return self._equal(value)

    def _equal(self, value: Any) -> bool:
        if isinstance(self.value, bool) or isinstance(value, bool):
            return isinstance(value, bool) and value is self.value
        if isinstance(self.value, str):
            return isinstance(value, str) and value == self.value
        return isinstance(value, int | float) and value == self.value

    def check(self, field: str, target: FilterTarget) -> None:
        if target.kind is not AttrKind.M:
            raise ValidationError(field, "nested filters need a map attribute")
        if (
            not isinstance(self.path, tuple)
            or not self.path
            or not all(isinstance(k, str) and _PATH_SEGMENT.fullmatch(k) for k in self.path)
        ):
            raise ValidationError(field, "the path must be names of letters, digits, _ or -")
        if not any(is_scalar_of(k, self.value) for k in (AttrKind.S, AttrKind.N, AttrKind.B)):
            raise ValidationError(field, "nested values are strings, finite numbers or bools")
        if self.in_list and not isinstance(self.value, str):
            raise ValidationError(field, "a value looked for in a list must be text")
        if isinstance(self.value, str) and "\x00" in self.value:
            raise ValidationError(field, "a nested value must not contain NUL")
        _check_scalar(field, self.value, target)

    @property
    def kind(self) -> AttrKind:
        """How the value compares: as a string, a number or a bool."""
        if isinstance(self.value, bool):
            return AttrKind.B
        return AttrKind.S if isinstance(self.value, str) else AttrKind.N

    def scope(self) -> Any:
        form = {"nested": list(self.path), "value": self.value}
        return {**form, "in_list": True} if self.in_list else form


def _as_filters(parts: Iterable[Any]) -> tuple[Filter, ...]:
    return tuple(as_filter(part) for part in parts)


@attrs.frozen
class All:
    """Every one of ``parts`` holds (several filters on one attribute: two nested values of
    one map, or equality with an IN-list)."""

    parts: tuple[Filter, ...] = attrs.field(converter=_as_filters)

    def matches(self, value: Any) -> bool:
        return all(part.matches(value) for part in self.parts)

    def check(self, field: str, target: FilterTarget) -> None:
        if not self.parts or any(isinstance(part, All) for part in self.parts):
            raise ValidationError(field, "combines one or more filters, none of them combined")
        for part in self.parts:
            part.check(field, target)

    def scope(self) -> Any:
        return {"all": [part.scope() for part in self.parts]}


#: A condition on one attribute of the records a listing holds: one of a closed set of kinds.
Filter: TypeAlias = Equals | In | Contains | TimeRange | Between | Nested | All


def as_filter(value: Any) -> Filter:
    """The filter a ``Query.filters`` value stands for (a plain value: equality)."""
    return value if isinstance(value, Filter) else Equals(value)
