"""``aace secrets rotate`` and ``aace secrets status``: every stored secret sealed under
the first key, and a count of what is under which key.

Rotation reads each table that holds secrets page by page as the operator (a scan of every
tenant: on PostgreSQL operator mode, which row-level security admits), seals again each
record whose secrets are clear or under another key, and saves its position after every
page in the store's ``migration_state`` table (job ``secrets-rotate/<key id>``), so a run
killed at any point resumes where it stopped and changes nothing twice. Each write is
conditioned on the record's ``updated_at`` being what was read, so it never overwrites a
concurrent update (which sealed the record itself); ``updated_at`` and ``updated_by`` are
left as they were: the value did not change, only its envelope. At the end it erases what it
can of the old bytes: on SQLite a ``VACUUM`` with ``secure_delete`` on and a WAL checkpoint
that truncates the log; PostgreSQL keeps old row versions until ``VACUUM`` (the report says
so); nothing erases backups, replicas or point-in-time recovery.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from aace.application.migration.state import JobState
from aace.application.secrets import SecretBox
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.errors import ConditionFailed, NotFound, ValidationError
from aace.domain.ports import Condition, Repository, Store
from aace.domain.schema import EntitySchema
from aace.domain.secrets import Envelope, is_envelope
from aace.domain.tenancy import PlatformContext, as_operator

__all__ = ["OPERATOR", "Rotation", "rotate_secrets", "secret_schemas", "secrets_status"]

#: Who rotation acts as (operator mode: it reads every tenant's records).
OPERATOR = PlatformContext(updated_by="aace secrets")
#: What a checkpoint counts per table.
OUTCOMES = ("sealed", "already", "changed", "gone")
#: Called after each checkpoint with the table and its counts so far (tests stop runs here).
Progress = Callable[[str, dict[str, int]], Awaitable[None]]


def secret_schemas() -> tuple[EntitySchema[Any], ...]:
    """The tables with secret attributes."""
    return tuple(s for s in ALL_SCHEMAS if s.secrets)


@attrs.frozen
class Rotation:
    """What a rotation did: per table, how many records it sealed again, found already
    under the first key, left to a concurrent update, or found deleted; and what it could
    not erase."""

    key_id: str
    tables: dict[str, dict[str, int]]
    note: str


async def rotate_secrets(
    store: Store,
    box: SecretBox,
    *,
    page_size: int = 100,
    restart: bool = False,
    progress: Progress | None = None,
) -> Rotation:
    """Seal every secret of ``store`` under ``box``'s sealing key (see the module)."""
    key_id = await box.sealing_key_id()
    if key_id is None:
        raise ValidationError("secret_keys", "rotation needs keys: set AACE_SECRET_KEYS")
    state = JobState(store, f"secrets-rotate/{key_id}")
    tables = {}
    for schema in secret_schemas():
        tables[schema.name] = await _rotate_table(
            store.repository(schema), box, state, page_size, restart, progress
        )
    return Rotation(key_id, tables, await _erase_old_bytes(store))


async def _rotate_table(
    repository: Repository[Any],
    box: SecretBox,
    state: JobState,
    page_size: int,
    restart: bool,
    progress: Progress | None,
) -> dict[str, int]:
    schema = repository.schema
    item = f"segment/{schema.name}/0"
    saved = None if restart else await state.get(item)
    saved = saved or {"position": None, "done": False, "counts": {}}
    counts = Counter(dict.fromkeys(OUTCOMES, 0) | saved["counts"])
    position = saved["position"]
    while not saved["done"]:
        with as_operator(OPERATOR):
            page = await repository.scan(position=position, limit=page_size)
        for record in page.items:
            counts[await _reseal(repository, box, record)] += 1
        position = page.position
        saved = {"position": position, "done": position is None, "counts": dict(counts)}
        await state.put(item, saved)
        if progress is not None:
            await progress(schema.name, dict(counts))
    return dict(counts)


async def _reseal(repository: Repository[Any], box: SecretBox, record: Any) -> str:
    """Seal ``record`` again unless it is under the sealing key; never over a newer write."""
    schema = repository.schema
    sealed = await box.seal(schema, record)
    if sealed is record:
        return "already"
    try:
        await repository.put(sealed, condition=Condition.present(updated_at=record.updated_at))
    except ConditionFailed:
        return "changed"  # updated meanwhile: that write sealed it under the first key
    except NotFound:
        return "gone"
    return "sealed"


async def _erase_old_bytes(store: Store) -> str:
    """Erase freed pages where the backend lets a client do it; say what remains."""
    beyond = "backups, replicas and point-in-time recovery keep the old bytes"
    if store.adapter == "sqlite":
        from sqlalchemy import text

        from aace.adapters.sql.engine import BEGIN_OPTION

        engine = store.database.engine  # type: ignore[attr-defined]
        async with engine.execution_options(**{BEGIN_OPTION: "none"}).connect() as connection:
            for statement in (
                "PRAGMA secure_delete = ON",
                "VACUUM",
                "PRAGMA wal_checkpoint(TRUNCATE)",
            ):
                await connection.execute(text(statement))
        return f"SQLite: freed pages zeroed (VACUUM) and the WAL truncated; {beyond}"
    if store.adapter == "postgresql":
        return (
            "PostgreSQL keeps old row versions until VACUUM (VACUUM FULL rewrites the "
            f"table files); run it as the tables' owner; {beyond}"
        )
    if store.adapter == "dynamodb":
        return f"DynamoDB: {beyond} (PITR, on-demand backups, exports, streams)"
    return beyond


async def secrets_status(store: Store) -> dict[str, dict[str, int]]:
    """Per table with secrets, how many records hold them under which key id, and how
    many in clear (``clear``): one scan as the operator."""
    found: dict[str, dict[str, int]] = {}
    for schema in secret_schemas():
        repository = store.repository(schema)
        counts: Counter[str] = Counter()
        position = None
        while True:
            with as_operator(OPERATOR):
                page = await repository.scan(position=position, limit=1000)
            for record in page.items:
                for name in schema.secrets:
                    value = getattr(record, name)
                    counts[Envelope.of(value).key_id if is_envelope(value) else "clear"] += 1
            position = page.position
            if position is None:
                break
        found[schema.name] = dict(counts)
    return found
