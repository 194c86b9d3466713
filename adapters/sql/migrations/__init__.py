"""Alembic migrations of the SQL adapter. Revisions name tables through :func:`table_name`,
so the configured :class:`TableNames` decide what is created."""

from __future__ import annotations

from aace.adapters.sql import tables
from aace.domain.entities import schema_named
from aace.domain.schema import TableNames

__all__ = [
    "CONNECTION_ATTRIBUTE",
    "TABLE_NAMES_ATTRIBUTE",
    "VERSION_TABLE_ATTRIBUTE",
    "index_name",
    "table_name",
]

#: Alembic ``Config.attributes`` entries: the store's connection, its :class:`TableNames`
#: and the name of its version table.
CONNECTION_ATTRIBUTE = "aace_connection"
TABLE_NAMES_ATTRIBUTE = "aace_table_names"
VERSION_TABLE_ATTRIBUTE = "aace_version_table"


def _names() -> TableNames:
    from alembic import op  # only while migrating: checking a revision never imports it

    config = op.get_context().config
    names = None if config is None else config.attributes.get(TABLE_NAMES_ATTRIBUTE)
    return names if isinstance(names, TableNames) else TableNames()


def table_name(base: str) -> str:
    """The configured name of the table whose base name is ``base`` (``agents``, …)."""
    return _names()(schema_named(base))


def index_name(base: str, index: str) -> str:
    """The SQL name of the DynamoDB index ``index`` of table ``base``."""
    return tables.index_name(table_name(base), index)
