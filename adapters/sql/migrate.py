"""Running the shipped Alembic migrations, and comparing a database with the models."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import attrs
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.database import Database
from aace.adapters.sql.endpoint import Endpoint
from aace.adapters.sql.migrations import (
    CONNECTION_ATTRIBUTE,
    TABLE_NAMES_ATTRIBUTE,
    VERSION_TABLE_ATTRIBUTE,
)
from aace.adapters.sql.scope import OPERATOR
from aace.adapters.sql.tables import build_metadata
from aace.domain.errors import StorageMisconfigured
from aace.domain.schema import TableNames

__all__ = [
    "MIGRATIONS",
    "Shipped",
    "check_revision",
    "current_revision",
    "schema_differences",
    "shipped",
    "upgrade",
]

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection, names: TableNames, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes[CONNECTION_ATTRIBUTE] = connection
    config.attributes[TABLE_NAMES_ATTRIBUTE] = names
    config.attributes[VERSION_TABLE_ATTRIBUTE] = version_table
    return config


@attrs.frozen
class Shipped:
    """The revisions this package ships: the newest one and every one it knows."""

    head: str
    known: frozenset[str]

    def newer(self, heads: tuple[str, ...]) -> list[str]:
        """The revisions in ``heads`` this package does not know (a newer one wrote them)."""
        return [revision for revision in heads if revision not in self.known]


@functools.cache
def shipped() -> Shipped:
    """The shipped migrations (read from ``migrations/versions`` once per process)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError(f"no migrations in {MIGRATIONS}")
    return Shipped(head, frozenset(r.revision for r in script.walk_revisions()))


def _refuse_newer(where: Endpoint, heads: tuple[str, ...]) -> None:
    newer = shipped().newer(heads)
    if newer:
        raise StorageMisconfigured(
            f"{where} was migrated by a newer aace-core (revision {', '.join(newer)}; "
            f"this one knows revisions up to {shipped().head})",
            hint="upgrade aace-core to the release that migrated it, or point at another database",
        )


def _heads(connection: Connection, version_table: str) -> tuple[str, ...]:
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_heads()


async def upgrade(db: Database, names: TableNames, version_table: str) -> None:
    """Migrate to the newest revision in one transaction; concurrent callers queue up
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock). A database
    migrated by a newer release is refused, untouched."""

    def migrate(sync: Connection) -> None:
        _refuse_newer(db.where, _heads(sync, version_table))
        command.upgrade(_config(sync, names, version_table), "head")

    async def work(connection: AsyncConnection) -> None:
        if db.dialect == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(hashtext(:name))")
            await connection.execute(lock, {"name": version_table})
        await connection.run_sync(migrate)

    await db.transaction(work, scope=OPERATOR)  # the schema's owner, for every row


async def check_revision(db: Database, version_table: str) -> None:
    """Check, creating nothing, that the database is at the newest shipped revision; raise
    :class:`StorageMisconfigured` saying what is wrong and what to run otherwise."""
    where = db.where
    init = f"run `{where.init_command}`"
    if not await db.exists():
        raise StorageMisconfigured(
            f"{where} does not exist, so it has no aace tables: run `aace init` to create it",
            hint=init,
        )
    heads = await db.read(
        lambda connection: connection.run_sync(lambda sync: _heads(sync, version_table))
    )
    head = shipped().head
    if heads == (head,):
        return
    if not heads:
        raise StorageMisconfigured(
            f"{where} has no aace tables (no revision in its version table {version_table}): "
            "run `aace init` to create them",
            hint=init,
        )
    _refuse_newer(where, heads)
    raise StorageMisconfigured(
        f"{where} is at revision {', '.join(heads)} but this aace-core needs revision {head}: "
        "`aace init` migrates it",
        hint=init,
    )


def _revision(connection: Connection, version_table: str) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_revision()


async def current_revision(db: Database, version_table: str) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    return await db.read(
        lambda connection: connection.run_sync(lambda sync: _revision(sync, version_table))
    )


def _differences(connection: Connection, names: TableNames, version_table: str) -> list[Any]:
    metadata, tables = build_metadata(names)
    ours = {table.name for table in tables.values()}
    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "version_table": version_table,
            "include_name": lambda name, kind, _: kind != "table" or name in ours,
        },
    )
    return list(compare_metadata(context, metadata))


async def schema_differences(db: Database, names: TableNames, version_table: str) -> list[Any]:
    """What autogenerate would change to make the database match the models (empty when
    the migrations and the models agree)."""
    return await db.read(
        lambda connection: connection.run_sync(
            lambda sync: _differences(sync, names, version_table)
        )
    )
