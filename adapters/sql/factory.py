"""Builds the SQL store from a :class:`StoreConfig` (``sqlite:///…``, ``postgresql://…``)."""

from __future__ import annotations

from aace.adapters.config import StoreConfig
from aace.adapters.sql.database import Database
from aace.adapters.sql.endpoint import Endpoint
from aace.adapters.sql.engine import EngineSettings, create_engine
from aace.adapters.sql.store import SqlStore
from aace.adapters.sql.tables import build_metadata

__all__ = ["open_store"]


def open_store(config: StoreConfig) -> SqlStore:
    """A store over ``config.url``; no I/O happens here (``initialize`` migrates)."""
    settings = EngineSettings.from_config(config)
    engine = create_engine(config, settings)
    _, tables = build_metadata(config.table_names)
    version_table = config.option(
        "version_table", f"{config.table_names.agent_prefix}alembic_version"
    )
    database = Database(engine, settings, Endpoint.from_url(engine.url, config.url))
    return SqlStore(database, tables, config.table_names, config.codec, version_table)
