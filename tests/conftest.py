"""Shared test configuration: hypothesis profiles and the async runner."""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from hypothesis import HealthCheck, settings

from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey
from tests.backends import ADAPTERS, parametrized_store

settings.register_profile(
    "fast",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """One asyncio loop for the whole session, so session-scoped stores can be shared."""
    return "asyncio"


_counter = itertools.count()


@pytest.fixture(scope="session", params=ADAPTERS)
async def store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Store]:
    """One store per adapter for the session; tests isolate themselves by fresh tenants."""
    async with parametrized_store(request) as opened:
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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which real backend each adapter's tests used, so no silent fallback goes unseen."""
    from tests.backends import dynamodb

    postgres = os.environ.get("AACE_TEST_POSTGRES_URL") or "not set (PostgreSQL tests skipped)"
    endpoint = dynamodb._session.get("endpoint", "not started")
    if endpoint == dynamodb.MOTO:
        reason = dynamodb._session.get("fallback_reason", "")
        endpoint = f"moto's in-process mock (FALLBACK, no DynamoDB Local: {reason})"
    else:
        endpoint = f"DynamoDB Local at {endpoint}"
    terminalreporter.write_sep("-", "backends used")
    terminalreporter.write_line("memory: in-process reference adapter; sqlite: temporary files")
    terminalreporter.write_line(f"postgresql: {postgres}")
    terminalreporter.write_line(f"dynamodb: {endpoint}")
