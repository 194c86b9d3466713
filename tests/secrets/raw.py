"""What a store holds, read past the package: the bytes an attacker with a dump, a file copy
or read access to the table would see (SQLite file and WAL, ``pg_dump``, a plain boto3
scan, the memory adapter's dict)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from aace.adapters.dynamodb import DynamoStore
from aace.adapters.memory.store import MemoryStore
from aace.adapters.sql import SqlStore
from aace.domain.ports import Store
from aace.domain.schema import EntitySchema
from tests.backends.dynamodb import boto3_client, session_endpoint
from tests.backends.postgresql import postgres_url

__all__ = ["everything_logged", "raw_bytes"]


def raw_bytes(store: Store, request: pytest.FixtureRequest) -> bytes:
    """Every byte the backend holds for ``store``'s tables."""
    if isinstance(store, MemoryStore):
        return json.dumps(store.tables, default=str).encode()
    if isinstance(store, SqlStore) and store.adapter == "sqlite":
        path = Path(str(store.database.engine.url.database))
        files = [path, Path(f"{path}-wal"), Path(f"{path}-journal")]
        return b"".join(f.read_bytes() for f in files if f.exists())
    if isinstance(store, SqlStore):
        schema = store.database.settings.search_path.split(",")[0].strip().strip('"')
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            pytest.skip("pg_dump is not installed")
        url = make_url(postgres_url())
        env = {**os.environ, "PGPASSWORD": url.password or ""}
        command = [pg_dump, "-h", url.host or "127.0.0.1", "-p", str(url.port or 5432)]
        command += ["-U", url.username or "postgres", "-n", schema, url.database or "postgres"]
        return subprocess.run(command, check=True, capture_output=True, env=env).stdout
    assert isinstance(store, DynamoStore)
    client = boto3_client(session_endpoint(request.config))
    prefix = store.settings.table_name
    found = []
    for name in client.list_tables()["TableNames"]:
        if any(name == prefix(s) for s in _schemas()):
            found.append(json.dumps(client.scan(TableName=name)["Items"], default=str))
    return "\n".join(found).encode()


def _schemas() -> tuple[EntitySchema[Any], ...]:
    from aace.domain.entities import ALL_SCHEMAS

    return ALL_SCHEMAS


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(message)s %(args)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{self.format(record)} {record.__dict__}")


@contextmanager
def everything_logged() -> Iterator[list[str]]:
    """Every record of every logger, drivers included, at DEBUG (the root logger's level
    and every named logger's restored afterwards)."""
    root = logging.getLogger()
    handler = _Collect()
    loggers = [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    levels = {logger: logger.level for logger in loggers}
    root_level = root.level
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for logger, level in levels.items():
            logger.setLevel(level)
