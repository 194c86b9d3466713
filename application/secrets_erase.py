"""What ``aace secrets rotate`` erases of the old bytes once every record is sealed again,
and an honest note of what it could not erase.

On SQLite: ``VACUUM`` with ``secure_delete`` on rewrites the database without its freed
pages, then ``PRAGMA wal_checkpoint(TRUNCATE)`` moves the write-ahead log into the file and
empties it. Another connection can keep either from completing (a writer holds the lock, a
reader still uses an old snapshot of the log): each is tried a bounded number of times and
the note says which did not complete. PostgreSQL keeps old row versions until ``VACUUM``;
nothing here erases backups, replicas or point-in-time recovery.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from aace.domain.ports import Store

__all__ = ["ATTEMPTS", "BEYOND", "SqliteErasure", "erase_old_bytes"]

#: Tries of the SQLite erasure before its note says what did not complete.
ATTEMPTS = 3
#: Seconds between tries (each statement also waits up to the store's busy timeout).
PAUSE_SECONDS = 1.0
BEYOND = "backups, replicas and point-in-time recovery keep the old bytes"

Pause = Callable[[float], Awaitable[None]]


@attrs.frozen
class SqliteErasure:
    """What one try on SQLite achieved: whether ``VACUUM`` ran (else why not), and the
    checkpoint's answer (``busy`` 1 when it could not complete; ``log`` and
    ``checkpointed`` pages, -1 when the database is not in WAL mode)."""

    vacuumed: bool
    vacuum_error: str | None
    busy: int
    log: int
    checkpointed: int

    @property
    def truncated(self) -> bool:
        """Whether the log was moved into the file and emptied (or there is none)."""
        return self.busy == 0 and self.log == self.checkpointed

    @property
    def complete(self) -> bool:
        return self.vacuumed and self.truncated


async def erase_old_bytes(store: Store, *, pause: Pause | None = None) -> str:
    """Erase freed pages where the backend lets a client do it; say what remains."""
    if store.adapter == "sqlite":
        return _sqlite_note(await erase_sqlite(store, pause=pause or asyncio.sleep))
    if store.adapter == "postgresql":
        return (
            "PostgreSQL keeps old row versions until VACUUM (VACUUM FULL rewrites the "
            f"table files); run it as the tables' owner; {BEYOND}"
        )
    if store.adapter == "dynamodb":
        return f"DynamoDB: {BEYOND} (PITR, on-demand backups, exports, streams)"
    return BEYOND


async def erase_sqlite(
    store: Store, *, attempts: int = ATTEMPTS, pause: Pause = asyncio.sleep
) -> SqliteErasure:
    """``VACUUM`` (``secure_delete`` on) and a truncating WAL checkpoint, tried again after
    ``pause`` until both complete or ``attempts`` tries were made: the last try's result."""
    for attempt in range(attempts):
        result = await _try_sqlite(store)
        if result.complete or attempt == attempts - 1:
            return result
        await pause(PAUSE_SECONDS)
    raise ValueError("attempts must be at least 1")


async def _try_sqlite(store: Store) -> SqliteErasure:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from aace.adapters.sql.engine import BEGIN_OPTION

    engine: Any = store.database.engine  # type: ignore[attr-defined]
    async with engine.execution_options(**{BEGIN_OPTION: "none"}).connect() as connection:
        await connection.execute(text("PRAGMA secure_delete = ON"))
        error = None
        try:
            await connection.execute(text("VACUUM"))
        except OperationalError as exc:  # locked by another connection's write
            error = str(exc.orig).splitlines()[0][:200]
        row = (await connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
    busy, log, checkpointed = (int(v) for v in row)
    return SqliteErasure(error is None, error, busy, log, checkpointed)


def _sqlite_note(result: SqliteErasure) -> str:
    """What the SQLite erasure achieved, honestly."""
    said = []
    if result.vacuumed:
        said.append("freed pages zeroed (VACUUM with secure_delete)")
    else:
        said.append(f"VACUUM did not run ({result.vacuum_error}): freed pages may keep old bytes")
    if result.log == -1:
        said.append("no write-ahead log (not in WAL mode)")
    elif result.truncated:
        said.append("the WAL checkpointed and truncated")
    else:
        said.append(
            f"the WAL was not truncated (busy {result.busy}, {result.log} pages in the log, "
            f"{result.checkpointed} checkpointed): another connection was using it; "
            "run `aace secrets rotate` again when it is idle"
        )
    return f"SQLite: {'; '.join(said)}; {BEYOND}"
