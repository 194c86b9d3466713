"""The contract suite runs once per adapter; every test asserts which adapter it really got."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from domain.ports import Store
from domain.tenancy import PartitionKey
from tests.backends import ADAPTERS, opener

_counter = itertools.count()


@pytest.fixture(scope="session", params=ADAPTERS)
async def store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Store]:
    """One store per adapter for the session; tests isolate themselves by fresh tenants."""
    adapter: str = request.param
    async with opener(adapter)(request) as opened:
        assert opened.adapter == adapter, f"asked for {adapter}, got {opened.adapter}"
        yield opened


@pytest.fixture
def new_tenant() -> Callable[[], PartitionKey]:
    """Fresh tenants, unique across the whole run, so tests never see each other's data."""
    run = uuid.uuid4().hex[:8]

    def make() -> PartitionKey:
        return PartitionKey(f"ep-{run}", f"tenant-{next(_counter)}")

    return make


@pytest.fixture
def tenant(new_tenant: Callable[[], PartitionKey]) -> PartitionKey:
    return new_tenant()


@pytest.fixture
def other_tenant(new_tenant: Callable[[], PartitionKey]) -> PartitionKey:
    return new_tenant()
