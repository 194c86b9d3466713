"""The bootstrap: create missing tables in the layout, refuse tables that differ from it.

The expected layout of a table comes from its PynamoDB model (keys, attribute definitions,
local and global indexes, all projecting ``ALL``). Tables are created on-demand
(``PAY_PER_REQUEST``); an existing table is never altered.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import anyio
from botocore.exceptions import ClientError
from pynamodb.models import Model

from aace.adapters.dynamodb.errors import TableLayoutMismatch, error_code, translate
from aace.adapters.dynamodb.runner import Runner, run_concurrently

__all__ = ["Layout", "bootstrap", "layout_of_description", "layout_of_model"]

#: A table's shape: keys, key attribute types, and indexes (kind, keys, projection).
Layout = dict[str, Any]

_POLL_SECONDS = 0.5
_WAIT_POLLS = 600


def _keys(key_schema: list[Mapping[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def layout_of_model(model: type[Model]) -> Layout:
    """The layout a model describes, in the same shape as :func:`layout_of_description`."""
    schema: Any = model._get_schema()
    indexes = {}
    for kind, key in (
        ("LOCAL", "local_secondary_indexes"),
        ("GLOBAL", "global_secondary_indexes"),
    ):
        for index in schema[key]:
            indexes[index["index_name"]] = (
                kind,
                _keys(index["key_schema"]),
                index["projection"]["ProjectionType"],
            )
    return {
        "keys": _keys(schema["key_schema"]),
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in schema["attribute_definitions"]
        },
        "indexes": indexes,
    }


def layout_of_description(table: Mapping[str, Any]) -> Layout:
    """The layout of a DescribeTable answer."""
    indexes = {}
    for kind, key in (("LOCAL", "LocalSecondaryIndexes"), ("GLOBAL", "GlobalSecondaryIndexes")):
        for index in table.get(key, []):
            indexes[index["IndexName"]] = (
                kind,
                _keys(index["KeySchema"]),
                index["Projection"]["ProjectionType"],
            )
    return {
        "keys": _keys(table["KeySchema"]),
        "attributes": {
            a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]
        },
        "indexes": indexes,
    }


def differences(expected: Layout, actual: Layout) -> list[str]:
    """What differs, one readable line per difference."""
    found = []
    if expected["keys"] != actual["keys"]:
        found.append(f"keys are {actual['keys']}, expected {expected['keys']}")
    if expected["attributes"] != actual["attributes"]:
        found.append(
            f"key attribute types are {actual['attributes']}, expected {expected['attributes']}"
        )
    for name in sorted(set(expected["indexes"]) | set(actual["indexes"])):
        want, have = expected["indexes"].get(name), actual["indexes"].get(name)
        if have is None:
            found.append(f"index {name} is missing")
        elif want is None:
            found.append(f"index {name} is not in the layout")
        elif want != have:
            found.append(f"index {name} is {have}, expected {want}")
    return found


def _hash_first(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(key_schema, key=lambda key: key["KeyType"])  # HASH sorts before RANGE


def _create_request(model: type[Model]) -> dict[str, Any]:
    schema: Any = model._get_schema()
    request: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": _hash_first(schema["key_schema"]),
    }
    for key, name in (
        ("LocalSecondaryIndexes", "local_secondary_indexes"),
        ("GlobalSecondaryIndexes", "global_secondary_indexes"),
    ):
        if schema[name]:
            request[key] = [
                {
                    "IndexName": index["index_name"],
                    "KeySchema": _hash_first(index["key_schema"]),
                    "Projection": index["projection"],
                }
                for index in schema[name]
            ]
    return request


async def _describe(runner: Runner, table: str) -> dict[str, Any] | None:
    try:
        response = await runner.call("DescribeTable", {"TableName": table})
    except ClientError as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise translate(exc, table=table) from exc
    description: dict[str, Any] = response["Table"]
    return description


def _active(table: Mapping[str, Any]) -> bool:
    indexes = table.get("GlobalSecondaryIndexes", [])
    return table.get("TableStatus") == "ACTIVE" and all(
        index.get("IndexStatus", "ACTIVE") == "ACTIVE" for index in indexes
    )


async def _ensure(runner: Runner, model: type[Model]) -> None:
    table = model.Meta.table_name
    description = await _describe(runner, table)
    if description is None:
        try:
            await runner.call("CreateTable", _create_request(model))
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":  # created meanwhile elsewhere
                raise translate(exc, table=table) from exc
        description = await _describe(runner, table)
    for _ in range(_WAIT_POLLS):
        if description is not None and _active(description):
            break
        await anyio.sleep(_POLL_SECONDS)
        description = await _describe(runner, table)
    if description is None:
        raise TableLayoutMismatch(f"table {table} could not be created")
    problems = differences(layout_of_model(model), layout_of_description(description))
    if problems:
        raise TableLayoutMismatch(
            f"table {table} differs from the storage layout: " + "; ".join(problems)
        )


async def bootstrap(runner: Runner, models: list[type[Model]]) -> None:
    """Create every missing table and check every existing one (concurrently)."""
    await run_concurrently([partial(_ensure, runner, model) for model in models])
