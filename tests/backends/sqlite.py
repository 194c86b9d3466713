"""SQLite through aiosqlite: a fresh database file per opener, migrated like a new install."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from aace.adapters.config import StoreConfig
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET


def sqlite_url(request: pytest.FixtureRequest) -> str:
    """A URL naming a new file in a temporary folder of this test session."""
    folder = request.getfixturevalue("tmp_path_factory").mktemp("sqlite")
    return f"sqlite:///{folder / f'aace-{uuid.uuid4().hex[:8]}.db'}"


@asynccontextmanager
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    store = build_store(StoreConfig(sqlite_url(request), CursorCodec(TEST_SECRET)))
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def fresh_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings naming a file that does not exist yet."""
    yield Settings(storage_url=sqlite_url(request), cursor_secret=TEST_SECRET)
