"""Column types that store the domain's values exactly on SQLite and PostgreSQL.

Each type hides one dialect difference, so tables, migrations and queries stay
dialect-neutral: datetimes (aware UTC, microseconds, correctly ordered), numbers (ints and
floats, exact), key text (code-point order) and free text (PostgreSQL refuses NUL).
:class:`SecretJson` keeps credentials out of logs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

__all__ = ["FreeText", "Json", "KeyText", "Number", "Redacted", "SecretJson", "UtcDateTime"]

#: ISO-8601 at microsecond precision with an explicit UTC offset: fixed width, so text order
#: is time order.
_ISO_WIDTH = len("2000-01-01T00:00:00.000000+00:00")
_INT64 = 2**63
#: SQLite integers are 64-bit; larger ones (the domain allows 38 digits) are kept as text
#: behind this marker, which no numeric literal starts with, so SQLite never converts them.
_BIG_INT_MARKER = "int:"
#: PostgreSQL text cannot hold NUL; it is stored as this private-use pair, and the escape
#: character itself is doubled, so the mapping is reversible and keeps equality.
_ESCAPE = "\ue000"
_NUL_ESCAPED = _ESCAPE + "\ue001"
_REDACTED = "<redacted>"


def as_utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """PostgreSQL ``timestamptz``; SQLite fixed-width ISO text. Reads back aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(_ISO_WIDTH))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        utc = as_utc(value)
        if dialect.name == "sqlite":
            return utc.isoformat(timespec="microseconds")
        return utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            return datetime.fromisoformat(value)
        return as_utc(value)


class _RawNumeric(UserDefinedType[Any]):
    """``NUMERIC`` with no conversion by SQLAlchemy (its float/Decimal handling is lossy)."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "NUMERIC"


class Number(TypeDecorator[int | float]):
    """A DynamoDB ``N``: ints of up to 38 digits and floats, both kept exactly.

    PostgreSQL: ``numeric``. SQLite: ``NUMERIC`` affinity (64-bit ints and doubles), with
    larger ints as marked text. Integral values read back as ``int``.
    """

    impl = _RawNumeric
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.NUMERIC())
        return _RawNumeric()

    def process_bind_param(self, value: int | float | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, bool):
            value = int(value)
        if dialect.name == "postgresql":
            return Decimal(value) if isinstance(value, int) else Decimal(repr(value))
        if isinstance(value, int) and not -_INT64 <= value < _INT64:
            return f"{_BIG_INT_MARKER}{value}"
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> int | float | None:
        if value is None:
            return None
        if isinstance(value, str):
            return int(value.removeprefix(_BIG_INT_MARKER))
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(value)
        if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
            return int(value)
        return value  # type: ignore[no-any-return]


class KeyText(TypeDecorator[str]):
    """Text that keys, indexes or orders records: compared by code point on both backends
    (SQLite's default binary collation; PostgreSQL ``COLLATE "C"``), as DynamoDB does."""

    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return postgresql.TEXT(collation="C")
        return Text()


def _escape_nul(value: str) -> str:
    if _ESCAPE not in value and "\x00" not in value:
        return value
    return value.replace(_ESCAPE, _ESCAPE + _ESCAPE).replace("\x00", _NUL_ESCAPED)


def _unescape_nul(value: str) -> str:
    if _ESCAPE not in value:
        return value
    out: list[str] = []
    chars = iter(value)
    for char in chars:
        if char == _ESCAPE:
            following = next(chars, "")
            out.append("\x00" if following == _NUL_ESCAPED[1] else following)
        else:
            out.append(char)
    return "".join(out)


class FreeText(TypeDecorator[str]):
    """Text that is stored and compared for equality only; any character is kept."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "postgresql":
            return value
        return _escape_nul(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None or dialect.name != "postgresql":
            return value  # type: ignore[no-any-return]
        return _unescape_nul(value)


def Json() -> JSON:
    """Maps and lists: JSON text (key order kept), Python ``None`` as SQL ``NULL``."""
    return JSON(none_as_null=True)


class Redacted:
    """A secret as read from the database: ``repr`` and ``str`` never show it (SQLAlchemy logs
    result rows with ``repr``); the adapter takes :attr:`value` when it builds the record."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return _REDACTED

    __str__ = __repr__


class _RedactedText(str):
    """A secret's JSON text as bound to a statement: the driver stores the text, while logs
    and errors that show parameters with ``repr`` (aiosqlite, asyncpg) show ``<redacted>``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return _REDACTED


class SecretJson(TypeDecorator[Any]):
    """:func:`Json` (the same column) for attributes that hold credentials: bound values and
    result values print as ``<redacted>``; results arrive as :class:`Redacted`."""

    impl = JSON
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(none_as_null=True)

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        # The JSON type serialises in its own processor: the text it makes is what is wrapped.
        serialize = super().bind_processor(dialect)

        def process(value: Any) -> Any:
            text = serialize(value) if serialize is not None else value
            return _RedactedText(text) if isinstance(text, str) else text

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> Redacted | None:
        return None if value is None else Redacted(value)
