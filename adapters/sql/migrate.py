"""Running the shipped Alembic migrations, and comparing a database with the models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.database import Database
from aace.adapters.sql.migrations import (
    CONNECTION_ATTRIBUTE,
    TABLE_NAMES_ATTRIBUTE,
    VERSION_TABLE_ATTRIBUTE,
)
from aace.adapters.sql.tables import build_metadata
from aace.domain.schema import TableNames

__all__ = ["MIGRATIONS", "current_revision", "schema_differences", "upgrade"]

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection, names: TableNames, version_table: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes[CONNECTION_ATTRIBUTE] = connection
    config.attributes[TABLE_NAMES_ATTRIBUTE] = names
    config.attributes[VERSION_TABLE_ATTRIBUTE] = version_table
    return config


async def upgrade(db: Database, names: TableNames, version_table: str) -> None:
    """Migrate to the newest revision in one transaction; concurrent callers queue up
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock)."""

    async def work(connection: AsyncConnection) -> None:
        if db.dialect == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(hashtext(:name))")
            await connection.execute(lock, {"name": version_table})
        await connection.run_sync(
            lambda sync: command.upgrade(_config(sync, names, version_table), "head")
        )

    await db.transaction(work)


def _revision(connection: Connection, version_table: str) -> str | None:
    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_revision()


async def current_revision(db: Database, version_table: str) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    async with db.read() as connection:
        return await connection.run_sync(lambda sync: _revision(sync, version_table))


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
    async with db.read() as connection:
        return await connection.run_sync(lambda sync: _differences(sync, names, version_table))
