"""The in-memory reference adapter (always available)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from aace.adapters.config import StoreConfig
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET


@asynccontextmanager
async def open_store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    store = build_store(StoreConfig("memory://", CursorCodec(TEST_SECRET)))
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()


@asynccontextmanager
async def fresh_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    yield Settings(storage_url="memory://", cursor_secret=TEST_SECRET)
