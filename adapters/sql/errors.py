"""Driver and SQLAlchemy exceptions translated into the domain's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from aace.domain.errors import (
    AaceError,
    Conflict,
    StorageError,
    StorageUnavailable,
    ValidationError,
)

__all__ = ["is_retryable", "translate_errors"]

#: PostgreSQL SQLSTATEs worth retrying the whole transaction for.
_RETRYABLE_STATES = frozenset({"40001", "40P01", "55P03"})
#: PostgreSQL SQLSTATE classes that mean the input could not be stored as given.
_DATA_STATES = ("22",)
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (getattr(exc, "orig", None), exc.__cause__):
        while candidate is not None:
            state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if isinstance(state, str):
                return state
            candidate = candidate.__cause__
    return None


def _sqlite_busy(exc: BaseException) -> bool:
    return any(text in str(exc).lower() for text in _SQLITE_BUSY)


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure, a deadlock, or a busy SQLite database: try again later."""
    if isinstance(exc, DBAPIError):
        return _sqlstate(exc) in _RETRYABLE_STATES or _sqlite_busy(exc)
    return False


def translate(exc: BaseException) -> AaceError:
    """The domain error that stands for a driver or SQLAlchemy exception."""
    if isinstance(exc, PoolTimeout):
        return StorageUnavailable("no database connection became free in time")
    state = _sqlstate(exc)
    if isinstance(exc, IntegrityError):
        return Conflict(f"the write conflicts with a stored record ({state or 'constraint'})")
    if is_retryable(exc):
        return StorageUnavailable("the database stayed busy after every retry")
    if state is not None and state.startswith(_DATA_STATES):
        return ValidationError("record", "holds a value the database cannot store")
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return StorageUnavailable("the database connection was lost")
    if isinstance(exc, (OSError, OperationalError)) or (
        isinstance(exc, DBAPIError) and isinstance(exc.orig, OSError)
    ):
        return StorageUnavailable("the database cannot be reached")
    if isinstance(exc, UnicodeError):
        return ValidationError("record", "holds text that is not valid Unicode")
    return StorageError(f"the database failed: {type(exc).__name__}")


@contextmanager
def translate_errors() -> Iterator[None]:
    """Let domain errors through; turn every driver or SQLAlchemy exception into one."""
    try:
        yield
    except AaceError:
        raise
    except (SQLAlchemyError, OSError, UnicodeError) as exc:
        raise translate(exc) from exc
