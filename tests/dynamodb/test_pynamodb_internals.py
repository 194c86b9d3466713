"""PynamoDB's private API, used in one module only (pynamodb_internals), is checked here: each
test fails when PynamoDB changes what the adapter relies on, and the requirement stays
below PynamoDB's next major version."""

from __future__ import annotations

import operator
import re
import tomllib
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from pynamodb.connection import Connection

from aace.adapters.dynamodb.pynamodb_internals import botocore_client
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageMisconfigured
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore

pytestmark = pytest.mark.anyio

PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


#: A requirement's name and its version clauses (``name[extras]>=1,<2; marker``).
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*([^;]*)")
CLAUSE = re.compile(r"^\s*(<=|>=|==|!=|<|>)\s*([0-9]+(?:\.[0-9]+)*)\s*$")
Version = tuple[int, ...]
COMPARE: dict[str, Callable[[Version, Version], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _numbers(text: str, width: int = 3) -> Version:
    """A release as numbers padded to ``width`` (``"7"`` is ``(7, 0, 0)``; ``"6.1rc1"`` is
    ``(6, 1, 0)``)."""
    release = re.match(r"[0-9]+(?:\.[0-9]+)*", text)
    assert release is not None, text
    parts = [int(p) for p in release[0].split(".")[:width]]
    return tuple(parts + [0] * (width - len(parts)))


def _declared() -> Iterator[str]:
    """Every requirement of the project: the core's and each extra's."""
    with PYPROJECT.open("rb") as file:
        project = tomllib.load(file)["project"]
    yield from project["dependencies"]
    for extra in project["optional-dependencies"].values():
        yield from extra


def _pynamodb_clauses() -> list[tuple[str, Version]]:
    """The version clauses of the one declared pynamodb requirement (wherever declared)."""
    found = []
    for text in _declared():
        match = REQUIREMENT.match(text)
        assert match is not None, text
        if match[1].lower() == "pynamodb":
            found.append(match[2])
    (specifier,) = found
    clauses = []
    for part in specifier.split(","):
        clause = CLAUSE.match(part)
        assert clause is not None, f"an unsupported clause in pynamodb{specifier}: {part!r}"
        clauses.append((clause[1], _numbers(clause[2])))
    return clauses


def _allows(clauses: list[tuple[str, Version]], release: Version) -> bool:
    return all(COMPARE[op](release, bound) for op, bound in clauses)


def test_the_requirement_stops_below_the_next_major_and_holds_the_installed_version() -> None:
    clauses = _pynamodb_clauses()
    installed = _numbers(version("pynamodb"))
    assert _allows(clauses, installed)
    assert not _allows(clauses, (installed[0] + 1, 0, 0))


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
