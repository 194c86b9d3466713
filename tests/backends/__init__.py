"""Real test backends, one module per adapter, each exposing ``open_store``.

``open_store(request)`` is an async context manager yielding a ready ``Store`` on a fresh
namespace (file, database schema, table prefix) and removing it afterwards. A backend that
cannot be reached calls :func:`unavailable`, which skips with the reason, or fails under CI
(``CI=true``), where every backend is required.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import NoReturn

import pytest

from aace.application.settings import Settings
from aace.domain.ports import Store

ADAPTERS = ("memory", "sqlite", "postgresql", "dynamodb")

StoreOpener = Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[Store]]
SettingsOpener = Callable[[pytest.FixtureRequest], AbstractAsyncContextManager[Settings]]

#: A cursor secret for tests only.
TEST_SECRET = b"aace-core-test-cursor-secret-32b"


def required() -> bool:
    """Whether an unreachable backend is a failure (CI) rather than a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def unavailable(reason: str) -> NoReturn:
    """Skip with ``reason``, or fail in CI where every backend must run."""
    if required():
        pytest.fail(f"backend required in CI but unavailable: {reason}", pytrace=False)
    pytest.skip(reason)


def opener(adapter: str) -> StoreOpener:
    """The ``open_store`` of ``tests/backends/<adapter>.py``."""
    module = importlib.import_module(f"tests.backends.{adapter}")
    return module.open_store


@asynccontextmanager
async def parametrized_store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A fresh store of the adapter a fixture's ``params=ADAPTERS`` chose, checked to be
    that adapter (no silent fallback)."""
    adapter: str = request.param
    async with opener(adapter)(request) as opened:
        assert opened.adapter == adapter, f"asked for {adapter}, got {opened.adapter}"
        yield opened


def settings_opener(adapter: str) -> SettingsOpener:
    """The ``fresh_settings`` of ``tests/backends/<adapter>.py``: ``Settings`` naming a new,
    unprepared namespace of that backend (nothing created yet), cleaned up afterwards."""
    module = importlib.import_module(f"tests.backends.{adapter}")
    return module.fresh_settings


__all__ = [
    "ADAPTERS",
    "TEST_SECRET",
    "AsyncIterator",
    "opener",
    "parametrized_store",
    "required",
    "settings_opener",
    "unavailable",
]
