"""PynamoDB's private API, used in one module only (pynamodb_internals), is checked here: each
test fails when PynamoDB changes what the adapter relies on, and the requirement stays
below PynamoDB's next major version."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from pynamodb.connection import Connection

from aace.adapters.dynamodb.pynamodb_internals import botocore_client
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageMisconfigured
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore

pytestmark = pytest.mark.anyio

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


def _pynamodb_requirement() -> Requirement:
    with PYPROJECT.open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    (found,) = [Requirement(d) for d in dependencies if Requirement(d).name == "pynamodb"]
    return found


def test_the_requirement_stops_below_the_next_major_and_holds_the_installed_version() -> None:
    requirement = _pynamodb_requirement()
    installed = Version(version("pynamodb"))
    assert installed in requirement.specifier
    assert Version(f"{installed.major + 1}.0") not in requirement.specifier


def test_a_connection_that_sent_nothing_has_no_client_and_none_is_created() -> None:
    connection = Connection(region="us-east-1", host="http://127.0.0.1:9")
    assert botocore_client(connection) is None
    assert botocore_client(connection) is None  # asking created none


async def test_after_a_request_it_is_the_client_that_sent_it(open_dynamo_store: OpenStore) -> None:
    store = await open_dynamo_store(initialize=False)
    connection = store.runner.connection
    assert botocore_client(connection) is None
    client = store.runner.client  # PynamoDB's public property creates the client
    assert botocore_client(connection) is client is connection.client
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    client.meta.events.register("before-call.dynamodb.*", record)
    with pytest.raises(StorageMisconfigured, match="a table is missing"):
        await store.repository(AGENTS).find(PartitionKey("ep", "internals"), ("k",))
    assert sent == ["GetItem"]
    assert botocore_client(connection) is client  # the same client, kept for the next ones


async def test_closing_a_store_releases_the_client_it_created(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store()
    await store.repository(AGENTS).find(PartitionKey("ep", "internals"), ("k",))
    client = botocore_client(store.runner.connection)
    assert client is not None
    closed: list[bool] = []
    original = client.close

    def close() -> None:
        closed.append(True)
        original()

    client.close = close
    await store.close()
    assert closed == [True]
