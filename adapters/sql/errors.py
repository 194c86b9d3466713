"""Driver and SQLAlchemy exceptions translated into the domain's errors.

Messages name the database (:class:`Endpoint`: backend, host and port or file, database)
and the driver's own reason, never the password. Translation happens only on failure.

Record values never reach a message or a traceback: the driver's reason is its first line
(PostgreSQL's DETAIL and CONTEXT lines quote rows and keys), an error about a refused value
quotes nothing, and a failed statement's domain error chains to :class:`StatementFailed`
(the same frames, scrubbed words) instead of the driver's exceptions.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.exc import TimeoutError as PoolTimeout

from aace.adapters.sql.endpoint import Endpoint
from aace.domain.errors import (
    AaceError,
    Conflict,
    Forbidden,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
    ValidationError,
)

__all__ = [
    "SQLITE_PATH_HINT",
    "StatementFailed",
    "folder_problem",
    "is_lost_connection",
    "is_retryable",
    "refused_stored_row",
    "missing_tables",
    "translate",
    "translate_errors",
]

#: PostgreSQL SQLSTATEs worth retrying the whole transaction for.
_RETRYABLE_STATES = frozenset({"40001", "40P01", "55P03"})
#: PostgreSQL SQLSTATE classes that mean the input could not be stored as given.
_DATA_STATES = ("22",)
#: Invalid authorization specification (unknown role, wrong password, pg_hba refusal).
_AUTH_STATES = ("28",)
#: invalid_catalog_name: the URL's database does not exist.
_MISSING_DATABASE = "3D000"
#: invalid_schema_name: no schema of the ``search_path`` option exists.
_MISSING_SCHEMA_NAME = "3F000"
#: undefined_table, undefined_column: the schema is missing or older than this package.
_MISSING_SCHEMA_STATES = frozenset({"42P01", "42703"})
#: insufficient_privilege: a missing grant, or a row refused by row-level security.
_INSUFFICIENT_PRIVILEGE = "42501"
_ROW_SECURITY = "row-level security"
_STORED_ROW_REFUSED = "row-level security policy (USING expression)"
#: Connection exceptions, insufficient resources, shutdown or start-up: try again later.
_UNAVAILABLE_STATES = ("08", "53", "57P01", "57P02", "57P03")
#: What to do about a SQLite path that cannot work.
SQLITE_PATH_HINT = "point the URL at a file in a folder this process can create and write to"
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")
_SQLITE_MISSING_SCHEMA = ("no such table", "no such column")
#: Top-level modules whose exceptions are the drivers' (none may escape the adapter).
_DRIVER_MODULES = frozenset({"asyncpg", "sqlite3", "aiosqlite", "alembic"})


def _sqlstate(exc: BaseException) -> str | None:
    for candidate in (exc, getattr(exc, "orig", None), exc.__cause__):
        while candidate is not None:
            state = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
            if isinstance(state, str):
                return state
            candidate = candidate.__cause__
    return None


class StatementFailed(Exception):
    """Chained to the domain error of a failed statement in place of SQLAlchemy's and the
    driver's exceptions, whose messages may quote the values the statement carried: the
    driver's exception type, SQLSTATE, first line and the SQL, with the original frames."""


def _driver_exception(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None) if isinstance(exc, StatementError) else None
    return orig if isinstance(orig, BaseException) else exc


def _root(exc: BaseException) -> BaseException:
    """The driver's own exception, under the adapters SQLAlchemy wraps around it."""
    found = _driver_exception(exc)
    while found.__cause__ is not None:
        found = found.__cause__
    return found


def _refuses_value(exc: BaseException) -> bool:
    """The database, or the driver encoding an argument, refused a value of a statement (its
    words may quote the value)."""
    state = _sqlstate(exc)
    if state is not None:
        return state.startswith(_DATA_STATES)
    if not isinstance(exc, StatementError) or exc.statement is None:
        return False
    return isinstance(exc, DataError) or isinstance(_root(exc), ValueError)


def _reason(exc: BaseException, where: Endpoint) -> str:
    """The driver's own words: their first line (without the SQL SQLAlchemy adds, without
    PostgreSQL's DETAIL and CONTEXT lines, which quote rows), never the password."""
    driver = _driver_exception(exc)
    text = next(iter(str(driver).strip().splitlines()), "")
    if not text:
        text = "timed out" if isinstance(driver, TimeoutError) else type(driver).__name__
    return where.scrub(text)


def _sqlite_busy(exc: BaseException) -> bool:
    return any(text in str(exc).lower() for text in _SQLITE_BUSY)


def is_lost_connection(exc: BaseException) -> bool:
    """The connection turned out to be lost (SQLAlchemy has invalidated it and the pool's
    older connections): a fresh one may work."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure, a deadlock, or a busy SQLite database: try again later."""
    if isinstance(exc, DBAPIError):
        return _sqlstate(exc) in _RETRYABLE_STATES or _sqlite_busy(exc)
    return False


def refused_stored_row(exc: BaseException) -> bool:
    """PostgreSQL's row-level security refused the row stored under an upsert's key (the
    policy's USING expression): it is another tenant's. (A refused *new* row says no
    "USING expression" and is a wrong scope, translated as :class:`Forbidden`. Both are told
    apart by the server's English words: keep ``lc_messages`` English.)"""
    return _sqlstate(exc) == _INSUFFICIENT_PRIVILEGE and _STORED_ROW_REFUSED in str(exc)


def missing_tables(where: Endpoint, reason: str) -> StorageMisconfigured:
    """The tables are missing or older than this package (no ``aace init`` yet)."""
    return StorageMisconfigured(
        f"{where} lacks the aace tables or holds an older version of them ({reason}): "
        "run `aace init`",
        hint=f"run `{where.init_command}`",
    )


def folder_problem(path: str) -> str | None:
    """Why SQLite cannot open or create ``path``, in the operating system's words (checked
    only after SQLite said "unable to open database file", which names no cause)."""
    target = Path(path)
    folder = target.parent
    try:
        if target.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
        if target.exists():
            with target.open("r+b"):
                return None
        if not folder.exists():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(folder))
        if not folder.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(folder))
    except OSError as exc:
        return str(exc)
    return None


def _sqlite(exc: DBAPIError, where: Endpoint, reason: str) -> AaceError | None:
    name = getattr(exc.orig, "sqlite_errorname", "")
    lowered = reason.lower()
    if name == "SQLITE_CANTOPEN" or "unable to open database file" in lowered:
        return StorageMisconfigured(
            f"cannot open {where}: {folder_problem(where.address) or reason}",
            hint=SQLITE_PATH_HINT,
        )
    if name == "SQLITE_NOTADB" or "file is not a database" in lowered:
        return StorageMisconfigured(
            f"{where} is not a SQLite database: {reason}", hint="check the path"
        )
    if name == "SQLITE_READONLY" or "readonly database" in lowered:
        return StorageMisconfigured(
            f"{where} is read-only: {reason}",
            hint="let this process write the file and its folder",
        )
    if lowered.startswith(_SQLITE_MISSING_SCHEMA):
        return missing_tables(where, reason)
    return None


def _postgresql(state: str, where: Endpoint, reason: str) -> AaceError | None:
    if state.startswith(_AUTH_STATES):
        role = where.role or "(the driver's default)"
        return StorageMisconfigured(
            f"authentication failed for role {role} at {where.backend} {where.address}: {reason}",
            hint="check the user name and password in the storage URL",
        )
    if state == _MISSING_DATABASE:
        return StorageMisconfigured(
            f"the database {where.database} does not exist on {where.backend} {where.address}: "
            f"{reason}",
            hint=f"create it (CREATE DATABASE {where.database}) or correct the storage URL",
        )
    if state == _MISSING_SCHEMA_NAME:
        return StorageMisconfigured(
            f"{where} has no schema to keep the aace tables in: {reason}",
            hint="create the schema the search_path option names, or correct the option",
        )
    if state in _MISSING_SCHEMA_STATES:
        return missing_tables(where, reason)
    if state == _INSUFFICIENT_PRIVILEGE and _ROW_SECURITY in reason:
        return Forbidden(f"{where} refused a row by row-level security: {reason}")
    if state == _INSUFFICIENT_PRIVILEGE:
        role = where.role or "(the driver's default)"
        return StorageMisconfigured(
            f"role {role} lacks a privilege on {where}: {reason}",
            hint="grant the application role its privileges: run `aace init --app-role "
            "ROLE` as the tables' owner (docs/row-level-security.md)",
        )
    if state.startswith(_UNAVAILABLE_STATES):
        return StorageUnavailable(f"cannot use {where}: {reason}")
    return None


def translate(exc: BaseException, where: Endpoint) -> AaceError:
    """The domain error that stands for a driver or SQLAlchemy exception."""
    if isinstance(exc, PoolTimeout):
        return StorageUnavailable(f"no connection to {where} became free in time")
    state = _sqlstate(exc)
    if isinstance(exc, IntegrityError):
        return Conflict(f"the write conflicts with a stored record ({state or 'constraint'})")
    if is_retryable(exc):
        return StorageUnavailable(f"{where} stayed busy after every retry")
    if _refuses_value(exc):
        return ValidationError("record", "holds a value the database cannot store")
    reason = _reason(exc, where)
    found = None
    if state is not None:
        found = _postgresql(state, where, reason)
    elif where.is_sqlite and isinstance(exc, DBAPIError):
        found = _sqlite(exc, where, reason)
    if found is not None:
        return found
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return StorageUnavailable(f"the connection to {where} was lost: {reason}")
    if isinstance(_driver_exception(exc), OSError):
        return StorageUnavailable(f"cannot reach {where}: {reason}")
    if isinstance(exc, OperationalError):
        return StorageUnavailable(f"{where} failed: {reason}")
    if isinstance(exc, UnicodeError):
        return ValidationError("record", "holds text that is not valid Unicode")
    return StorageError(f"{where} failed{f' ({state})' if state else ''}: {reason}")


def _cause(exc: BaseException, where: Endpoint) -> BaseException:
    """What the domain error chains to: the exception itself, or for a failed statement a
    :class:`StatementFailed` that quotes none of its values."""
    if not isinstance(exc, StatementError) or exc.statement is None:
        return exc
    root = _root(exc)
    state = _sqlstate(exc)
    words = "" if _refuses_value(exc) else f": {_reason(root, where)}"
    summary = (
        f"{type(root).__module__}.{type(root).__qualname__}"
        f"{f' (SQLSTATE {state})' if state else ''}{words}\n[SQL: {exc.statement}]"
    )
    return StatementFailed(summary).with_traceback(exc.__traceback__)


def _from_driver(exc: BaseException) -> bool:
    if isinstance(exc, (SQLAlchemyError, OSError, UnicodeError)):
        return True
    return type(exc).__module__.partition(".")[0] in _DRIVER_MODULES


@contextmanager
def translate_errors(where: Endpoint) -> Iterator[None]:
    """Let domain errors through; turn every driver or SQLAlchemy exception into one."""
    try:
        yield
    except AaceError:
        raise
    except Exception as exc:
        if not _from_driver(exc):
            raise
        raise translate(exc, where) from _cause(exc, where)
