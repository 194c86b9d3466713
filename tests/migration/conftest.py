"""Migration tests: legacy tables on the session's DynamoDB Local, written by plain boto3, or
in the memory legacy source, migrated into a target of every adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import attrs
import pytest

from aace.adapters.memory.legacy import MemoryLegacySource
from aace.application.migration.bulk import BulkOptions
from aace.application.migration.endpoints import open_target, table_address
from aace.application.migration.state import JobState
from aace.application.settings import Settings
from aace.domain.entities import AGENTS
from aace.domain.migration import LEGACY_TABLES, Treatment, table_named
from aace.domain.ports import Store
from aace.domain.schema import EntitySchema
from tests.backends import ADAPTERS, TEST_SECRET, settings_opener
from tests.backends.dynamodb import (
    CREDENTIALS,
    MOTO,
    REGION,
    boto3_client,
    fresh_prefix,
    session_endpoint,
)
from tests.migration.legacy import (
    BotoTables,
    LegacyData,
    create_legacy_tables,
    new_endpoint,
    populate,
)

ENDPOINTS = 3


@pytest.fixture(scope="session")
def dynamodb_endpoint(request: pytest.FixtureRequest) -> str:
    endpoint = session_endpoint(request.config)
    if endpoint == MOTO:
        pytest.skip("the migration needs DynamoDB Local (streams); moto stood in for it")
    return endpoint


@pytest.fixture
def client(dynamodb_endpoint: str) -> Any:
    return boto3_client(dynamodb_endpoint)


def dynamo_settings(endpoint: str, prefix: str, **table_names: str) -> Settings:
    return Settings(
        storage_url=f"dynamodb://{endpoint}?region={REGION}&table_prefix={prefix}",
        cursor_secret=TEST_SECRET,
        store_options=dict(CREDENTIALS),
        table_names=table_names,
    )


@pytest.fixture
def prefixes(client: Any) -> Iterator[Callable[[], str]]:
    """Fresh table prefixes; every table under them is dropped after the test."""
    made: list[str] = []

    def make() -> str:
        made.append(fresh_prefix())
        return made[-1]

    yield make
    for page in client.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(tuple(made)):
                client.delete_table(TableName=name)


@attrs.frozen
class Legacy:
    """A legacy deployment: its settings, prefix, and what it holds."""

    settings: Settings
    prefix: str
    data: LegacyData
    endpoints: list[str]


@pytest.fixture
def legacy(dynamodb_endpoint: str, client: Any, prefixes: Callable[[], str]) -> Legacy:
    prefix = prefixes()
    create_legacy_tables(client, prefix)
    endpoints = [new_endpoint() for _ in range(ENDPOINTS)]
    data = populate(BotoTables(client, prefix), endpoints)
    return Legacy(dynamo_settings(dynamodb_endpoint, prefix), prefix, data, endpoints)


@pytest.fixture
def copy_target(dynamodb_endpoint: str, prefixes: Callable[[], str]) -> Callable[[], Settings]:
    """Targets on fresh prefixes: every table copied."""
    return lambda: dynamo_settings(dynamodb_endpoint, prefixes())


def in_place_target(legacy: Legacy) -> Settings:
    """The legacy deployment's own tables, the re-keyed ones renamed: child tables are
    backfilled in place, registries left as they are."""
    return renamed(legacy.settings)


def renamed(settings: Settings) -> Settings:
    """``settings`` with the re-keyed tables renamed (a re-keyed table needs a new one)."""
    names = {t.name: f"aace-v2-{t.name}" for t in LEGACY_TABLES if t.treatment is Treatment.REKEY}
    return attrs.evolve(settings, table_names={**settings.table_names, **names})


@attrs.frozen
class MemoryLegacy:
    """A legacy deployment in memory: the source, and what it holds."""

    source: MemoryLegacySource
    data: LegacyData
    endpoints: list[str]


def memory_legacy(
    at: Settings | None = None, *, stream: bool = True, rekeyed_apart: bool = True
) -> MemoryLegacy:
    """Every legacy table in memory, populated; ``at``: standing in the store these settings
    name, under its table names, so that its backfilled tables are migrated in place
    (``rekeyed_apart``: but the re-keyed ones under other names, as a target renames them:
    a re-keyed table is never its own target)."""
    source = MemoryLegacySource()
    if at is not None:
        where = at

        def name(schema: EntitySchema[Any]) -> str:
            apart = rekeyed_apart and table_named(schema.name).treatment is Treatment.REKEY
            return ("legacy-" if apart else "") + table_address(where, schema).table

        source = MemoryLegacySource(location=table_address(at, AGENTS).store, table_names=name)
    for table in LEGACY_TABLES:
        source.create_table(table, stream=stream)
    endpoints = [new_endpoint() for _ in range(ENDPOINTS)]
    return MemoryLegacy(source, populate(source, endpoints), endpoints)


@pytest.fixture
def memory() -> MemoryLegacy:
    """A populated legacy deployment in memory, at an address no target shares."""
    return memory_legacy()


@pytest.fixture(params=ADAPTERS)
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings naming a fresh, empty store of each adapter (PostgreSQL: the application
    role, under the policies, as an operator runs the tool)."""
    if request.param == "postgresql":
        from tests.backends.postgresql import app_role_settings

        async with app_role_settings(request) as settings:
            yield settings
    else:
        async with settings_opener(request.param)(request) as settings:
            yield settings


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Store]:
    """The target store, its tables made; one store for a whole test (a ``memory://`` store
    exists only while it is open)."""
    store = await open_target(settings, create=True)
    try:
        yield store
    finally:
        await store.close()


#: How ``run`` writes a copied DynamoDB table: in bulk behind its write fence (the default
#: into an empty target), or conditionally (the fence says so, as for a non-empty target).
PATHS = ("bulk", "conditional")


async def fence(where: Settings | Store, path: str, job: str = "migrate") -> None:
    """Make ``job``'s write fence of every table say ``path`` before it begins (bulk: the
    default, nothing to do)."""
    if path == "bulk":
        return
    if isinstance(where, Settings):
        async with opened(where) as store:
            await fence(store, path, job)
        return
    state = JobState(where, job)
    for table in LEGACY_TABLES:
        await state.put(f"fence/{table.name}", {"bulk": False})


def options(**given: Any) -> BulkOptions:
    return BulkOptions(**{"segments": 2, "page_size": 5, **given})
