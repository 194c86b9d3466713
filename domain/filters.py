"""Listing filters as data: small typed values with reference semantics.

A :class:`~aace.domain.query.Query` maps attribute names to filters; a plain value means
:class:`Equals`. Each filter checks itself against the attribute's kind when the query is
resolved, says which stored values it admits (:meth:`Filter.matches`, what the in-memory
adapter runs and the others reproduce), and has a stable form for the cursor's scope.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.schema import AttrKind

__all__ = [
    "MAX_IN_VALUES",
    "All",
    "Between",
    "Contains",
    "Equals",
    "Filter",
    "In",
    "Nested",
    "TimeRange",
    "as_filter",
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


class Filter:
    """A condition on one attribute of the records a listing holds."""

    def matches(self, value: Any) -> bool:
        """Whether a stored value (``None`` when missing) is admitted: the reference."""
        raise NotImplementedError

    def check(self, field: str, kind: AttrKind) -> None:
        """Refuse, naming ``field``, a filter that does not fit an attribute of ``kind``."""

    def scope(self) -> Any:
        """A JSON-ready form that identifies the filter (signed into cursors)."""
        raise NotImplementedError


@attrs.frozen
class Equals(Filter):
    """``attribute == value``, as Python compares (``None`` matches a missing value, a value
    of another type matches nothing). A plain value in ``Query.filters`` means this."""

    value: Any

    def matches(self, value: Any) -> bool:
        return bool(value == self.value)

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


def is_scalar_of(kind: AttrKind, value: object) -> bool:
    """Whether ``value`` is a plain value of an attribute of ``kind`` (finite numbers, no
    booleans for numbers, text for strings)."""
    if isinstance(value, bool) and kind is not AttrKind.B:
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, _SCALAR_KINDS.get(kind, ()))


def _check_aware(field: str, value: object) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(field, "must be a timezone-aware datetime")


@attrs.frozen
class In(Filter):
    """The attribute equals one of ``values`` (an empty list matches nothing). Values must
    be of the attribute's kind: strings, numbers, booleans or aware datetimes."""

    values: tuple[Any, ...] = attrs.field(converter=_values)

    def matches(self, value: Any) -> bool:
        return value is not None and any(value == v for v in self.values)

    def check(self, field: str, kind: AttrKind) -> None:
        if kind not in _SCALAR_KINDS:
            raise ValidationError(field, "an IN-list needs a string, number, bool or datetime")
        if not isinstance(self.values, tuple):
            raise ValidationError(field, "an IN-list takes a list of values")
        if len(self.values) > MAX_IN_VALUES:
            raise ValidationError(field, f"an IN-list holds at most {MAX_IN_VALUES} values")
        for value in self.values:
            if not is_scalar_of(kind, value):
                raise ValidationError(field, f"holds {value!r}, not a {kind.name} value")
            if kind is AttrKind.DT:
                _check_aware(field, value)

    def scope(self) -> Any:
        return {"in": list(self.values)}


@attrs.frozen
class Contains(Filter):
    """The string attribute holds ``text`` (non-empty), case-sensitively."""

    text: str

    def matches(self, value: Any) -> bool:
        return isinstance(value, str) and self.text in value

    def check(self, field: str, kind: AttrKind) -> None:
        if kind is not AttrKind.S:
            raise ValidationError(field, "substring filters need a string attribute")
        if not isinstance(self.text, str) or not self.text:
            raise ValidationError(field, "the substring must be non-empty text")

    def scope(self) -> Any:
        return {"contains": self.text}


@attrs.frozen
class TimeRange(Filter):
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

    def check(self, field: str, kind: AttrKind) -> None:
        if kind is not AttrKind.DT:
            raise ValidationError(field, "time ranges need a datetime attribute")
        if self.after is None and self.before is None:
            raise ValidationError(field, "a time range needs after, before or both")
        for bound in (self.after, self.before):
            if bound is not None:
                _check_aware(field, bound)

    def scope(self) -> Any:
        return {"after": self.after, "before": self.before}


@attrs.frozen
class Between(Filter):
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

    def check(self, field: str, kind: AttrKind) -> None:
        if kind is not AttrKind.N:
            raise ValidationError(field, "number ranges need a number attribute")
        if self.low is None and self.high is None:
            raise ValidationError(field, "a number range needs a low bound, a high one or both")
        for bound in (self.low, self.high):
            if bound is not None and not is_scalar_of(AttrKind.N, bound):
                raise ValidationError(field, f"bounds are finite numbers, got {bound!r}")

    def scope(self) -> Any:
        return {"low": self.low, "high": self.high}


@attrs.frozen
class Nested(Filter):
    """Inside a map attribute, the value at ``path`` (keys of nested maps, each of letters,
    digits, ``_`` or ``-``; a string is a dotted path) equals ``value``: a string, a finite
    number or a bool, compared with its type (``1`` matches ``1.0``, never ``True``). With
    ``in_list``, the value at ``path`` is a list that holds ``value`` (a successor's
    ``agent_action.predecessors`` holding an agent's uuid)."""

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

    def check(self, field: str, kind: AttrKind) -> None:
        if kind is not AttrKind.M:
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
class All(Filter):
    """Every one of ``parts`` holds (several filters on one attribute: two nested values of
    one map, or equality with an IN-list)."""

    parts: tuple[Filter, ...] = attrs.field(converter=_as_filters)

    def matches(self, value: Any) -> bool:
        return all(part.matches(value) for part in self.parts)

    def check(self, field: str, kind: AttrKind) -> None:
        if not self.parts or any(isinstance(part, All) for part in self.parts):
            raise ValidationError(field, "combines one or more filters, none of them combined")
        for part in self.parts:
            part.check(field, kind)

    def scope(self) -> Any:
        return {"all": [part.scope() for part in self.parts]}


def as_filter(value: Any) -> Filter:
    """The filter a ``Query.filters`` value stands for (a plain value: equality)."""
    return value if isinstance(value, Filter) else Equals(value)
