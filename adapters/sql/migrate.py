"""Running the shipped Alembic migrations, and comparing a database with the models.

Alembic is imported only to create, migrate or compare: checking the revision (``verify``,
``ping``) reads the version table and the shipped revisions' files with SQLAlchemy alone.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import String, column, inspect, select, table, text
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

if TYPE_CHECKING:
    from alembic.config import Config

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
    from alembic.config import Config

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


def _identifiers(path: Path) -> dict[str, Any]:
    """The ``revision`` and ``down_revision`` a revision file assigns (parsed, not run)."""
    found: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            found[target.id] = ast.literal_eval(value)
    return found


@functools.cache
def shipped() -> Shipped:
    """The shipped migrations (read from ``migrations/versions`` once per process, without
    importing Alembic: the head is the one revision no other revises)."""
    known: set[str] = set()
    revised: set[str] = set()
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        identifiers = _identifiers(path)
        if "revision" not in identifiers:
            continue
        known.add(identifiers["revision"])
        down = identifiers.get("down_revision")
        revised.update([down] if isinstance(down, str) else down or ())
    heads = known - revised
    if len(heads) != 1:  # pragma: no cover - the package ships one line of revisions
        raise RuntimeError(f"expected one head revision in {MIGRATIONS}, found {sorted(heads)}")
    return Shipped(heads.pop(), frozenset(known))


def _refuse_newer(where: Endpoint, heads: tuple[str, ...]) -> None:
    newer = shipped().newer(heads)
    if newer:
        raise StorageMisconfigured(
            f"{where} was migrated by a newer aace-core (revision {', '.join(newer)}; "
            f"this one knows revisions up to {shipped().head})",
            hint="upgrade aace-core to the release that migrated it, or point at another database",
        )


def _heads(connection: Connection, version_table: str) -> tuple[str, ...]:
    """The revisions in the version table (none when it is missing), read as Alembic
    writes them: one row per head, column ``version_num``."""
    if not inspect(connection).has_table(version_table):
        return ()
    version_num = column("version_num", String)
    query = select(version_num).select_from(table(version_table))
    return tuple(connection.execute(query).scalars())


async def upgrade(db: Database, names: TableNames, version_table: str) -> None:
    """Migrate to the newest revision in one transaction; concurrent callers queue up
    (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock). A database
    migrated by a newer release is refused, untouched."""

    from alembic import command

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
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": version_table})
    return context.get_current_revision()


async def current_revision(db: Database, version_table: str) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    return await db.read(
        lambda connection: connection.run_sync(lambda sync: _revision(sync, version_table))
    )


def _differences(connection: Connection, names: TableNames, version_table: str) -> list[Any]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

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
