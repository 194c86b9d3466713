"""Migration tests: legacy tables on the session's DynamoDB Local, written by plain boto3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest

from aace.application.migration.bulk import BulkOptions
from aace.application.settings import Settings
from aace.domain.migration import LEGACY_TABLES, Treatment
from tests.backends import TEST_SECRET
from tests.backends.dynamodb import (
    CREDENTIALS,
    MOTO,
    REGION,
    boto3_client,
    fresh_prefix,
    session_endpoint,
)
from tests.migration.legacy import LegacyData, create_legacy_tables, new_endpoint, populate

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
    data = populate(client, prefix, endpoints)
    return Legacy(dynamo_settings(dynamodb_endpoint, prefix), prefix, data, endpoints)


@pytest.fixture
def copy_target(dynamodb_endpoint: str, prefixes: Callable[[], str]) -> Callable[[], Settings]:
    """Targets on fresh prefixes: every table copied."""
    return lambda: dynamo_settings(dynamodb_endpoint, prefixes())


def in_place_target(legacy: Legacy) -> Settings:
    """The legacy deployment's own tables, the re-keyed ones renamed: child tables are
    backfilled in place, registries left as they are."""
    renamed = {
        t.name: f"aace-v2-{t.name}" for t in LEGACY_TABLES if t.treatment is Treatment.REKEY
    }
    return attrs.evolve(legacy.settings, table_names=renamed)


def options(**given: Any) -> BulkOptions:
    return BulkOptions(**{"segments": 2, "page_size": 5, **given})
