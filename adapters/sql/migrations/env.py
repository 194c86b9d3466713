"""Alembic environment: runs on the connection the store hands over (never opens its own)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from aace.adapters.sql.migrations import CONNECTION_ATTRIBUTE, VERSION_TABLE_ATTRIBUTE


def run_migrations_online() -> None:
    config = context.config
    connection = config.attributes.get(CONNECTION_ATTRIBUTE)
    if not isinstance(connection, Connection):
        raise RuntimeError("run migrations through the store's initialize() (aace init)")
    context.configure(
        connection=connection,
        version_table=config.attributes[VERSION_TABLE_ATTRIBUTE],
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
