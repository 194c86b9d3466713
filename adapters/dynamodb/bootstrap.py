"""The bootstrap: create missing tables in the layout, refuse tables that differ from it.

The expected layout of a table comes from its PynamoDB model (keys, attribute definitions,
local and global indexes, all projecting ``ALL``). :func:`bootstrap` (``initialize``)
creates missing tables with the production options of :class:`TableOptions` and turns on
point-in-time recovery and deletion protection of existing tables when asked; it never
changes an existing table's keys, indexes, billing or stream. :func:`check` (``verify``)
only describes the tables.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

import anyio
from botocore.exceptions import ClientError
from pynamodb.models import Model

from aace.adapters.dynamodb.errors import (
    TableLayoutMismatch,
    error_code,
    error_message,
    translate,
)
from aace.adapters.dynamodb.models import table_schema
from aace.adapters.dynamodb.runner import Runner, run_concurrently
from aace.adapters.dynamodb.settings import TableOptions
from aace.domain.errors import StorageMisconfigured

__all__ = ["Layout", "bootstrap", "check", "layout_of_description", "layout_of_model"]

#: A table's shape: keys, key attribute types, and indexes (kind, keys, projection).
Layout = dict[str, Any]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.5
_WAIT_POLLS = 600
#: Right after a table is created, AWS may not accept UpdateContinuousBackups yet.
_BACKUPS_NOT_READY = "ContinuousBackupsUnavailableException"


def _keys(key_schema: list[Mapping[str, str]]) -> dict[str, str]:
    return {k["KeyType"]: k["AttributeName"] for k in key_schema}


def layout_of_model(model: type[Model]) -> Layout:
    """The layout a model describes, in the same shape as :func:`layout_of_description`."""
    schema = table_schema(model)
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


def create_request(model: type[Model], options: TableOptions) -> dict[str, Any]:
    """The CreateTable request of ``model``'s table with the production ``options``."""
    schema = table_schema(model)
    request: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "BillingMode": options.billing_mode,
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": _hash_first(schema["key_schema"]),
    }
    throughput = options.throughput
    if throughput is not None:
        request["ProvisionedThroughput"] = throughput
    if options.stream is not None:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": options.stream}
    if options.deletion_protection:
        request["DeletionProtectionEnabled"] = True
    for key, name in (
        ("LocalSecondaryIndexes", "local_secondary_indexes"),
        ("GlobalSecondaryIndexes", "global_secondary_indexes"),
    ):
        indexes = []
        for index in schema[name]:
            entry = {
                "IndexName": index["index_name"],
                "KeySchema": _hash_first(index["key_schema"]),
                "Projection": index["projection"],
            }
            if throughput is not None and key == "GlobalSecondaryIndexes":
                entry["ProvisionedThroughput"] = throughput
            indexes.append(entry)
        if indexes:
            request[key] = indexes
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


def _problems(model: type[Model], description: Mapping[str, Any]) -> list[str]:
    return differences(layout_of_model(model), layout_of_description(description))


async def _until_active(runner: Runner, table: str) -> dict[str, Any] | None:
    description = await _describe(runner, table)
    for _ in range(_WAIT_POLLS):
        if description is not None and _active(description):
            break
        await anyio.sleep(_POLL_SECONDS)
        description = await _describe(runner, table)
    return description


def _unsupported(exc: ClientError, option: str, runner: Runner) -> StorageMisconfigured:
    """The endpoint refused a production option (DynamoDB Local lacks some of them)."""
    return StorageMisconfigured(
        f"{option}=true, but DynamoDB at {runner.settings.endpoint} refused it "
        f"({error_code(exc)}: {error_message(exc)})",
        hint=f"leave {option} off for this endpoint (DynamoDB Local does not support it)",
    )


async def _point_in_time_recovery(runner: Runner, table: str) -> None:
    """Turn on point-in-time recovery (a no-op request when it is already on)."""
    request = {
        "TableName": table,
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    }
    for poll in range(_WAIT_POLLS):
        try:
            await runner.call("UpdateContinuousBackups", request)
            return
        except ClientError as exc:
            code = error_code(exc)
            if code == _BACKUPS_NOT_READY and poll + 1 < _WAIT_POLLS:
                await anyio.sleep(_POLL_SECONDS)
                continue
            if code in {"UnknownOperationException", "UnsupportedOperationException"}:
                raise _unsupported(exc, "point_in_time_recovery", runner) from exc
            raise translate(exc, table=table) from exc


async def _deletion_protection(runner: Runner, table: str, description: Mapping[str, Any]) -> None:
    if description.get("DeletionProtectionEnabled"):
        return
    try:
        await runner.call("UpdateTable", {"TableName": table, "DeletionProtectionEnabled": True})
    except ClientError as exc:
        raise translate(exc, table=table) from exc


def _note_differences(table: str, description: Mapping[str, Any], options: TableOptions) -> None:
    """Billing and streams of an existing table are left alone: say so when they differ."""
    billing = description.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing != options.billing_mode:
        log.warning(
            "table %s keeps billing mode %s (billing_mode=%s applies to new tables only)",
            table,
            billing,
            options.billing_mode,
        )
    spec = description.get("StreamSpecification") or {}
    stream = spec.get("StreamViewType") if spec.get("StreamEnabled") else None
    if stream != options.stream:
        log.warning(
            "table %s keeps its stream (%s; stream=%s applies to new tables only)",
            table,
            stream or "off",
            options.stream or "off",
        )


async def _ensure(
    runner: Runner, model: type[Model], options: TableOptions, problems: dict[str, list[str]]
) -> None:
    table = model.Meta.table_name
    description = await _describe(runner, table)
    created = description is None
    if created:
        try:
            await runner.call("CreateTable", create_request(model, options))
        except ClientError as exc:
            if error_code(exc) != "ResourceInUseException":  # created meanwhile elsewhere
                raise translate(exc, table=table) from exc
    if description is None or not _active(description):
        description = await _until_active(runner, table)
    if description is None:
        raise StorageMisconfigured(f"table {table} could not be created")
    found = _problems(model, description)
    if found:
        problems[table] = found
        return
    if not created:
        _note_differences(table, description, options)
    if options.point_in_time_recovery:
        await _point_in_time_recovery(runner, table)
    if options.deletion_protection:
        await _deletion_protection(runner, table, description)


def layout_mismatch(
    problems: Mapping[str, list[str]], missing: list[str] | None = None
) -> TableLayoutMismatch:
    """One error naming every table that differs (and, from ``verify``, the missing ones)."""
    lines = [
        f"table {table} differs from the storage layout: " + "; ".join(found)
        for table, found in sorted(problems.items())
    ]
    if missing:
        lines.append(f"missing as well: {', '.join(missing)}")
    return TableLayoutMismatch("\n".join(lines))


async def bootstrap(runner: Runner, models: list[type[Model]]) -> None:
    """Create every missing table and check every existing one (concurrently)."""
    options = runner.settings.table_options
    problems: dict[str, list[str]] = {}
    await run_concurrently(
        [partial(_ensure, runner, model, options, problems) for model in models]
    )
    if problems:
        raise layout_mismatch(problems)


async def check(runner: Runner, models: list[type[Model]]) -> None:
    """Describe every table (concurrently) and create nothing: missing tables are one
    ``StorageMisconfigured`` naming them all; tables that differ, ``TableLayoutMismatch``."""
    descriptions: dict[str, dict[str, Any] | None] = {}

    async def look(model: type[Model]) -> None:
        descriptions[model.Meta.table_name] = await _describe(runner, model.Meta.table_name)

    await run_concurrently([partial(look, model) for model in models])
    missing = [m.Meta.table_name for m in models if descriptions[m.Meta.table_name] is None]
    problems = {}
    for model in models:
        description = descriptions[model.Meta.table_name]
        if description is not None and (found := _problems(model, description)):
            problems[model.Meta.table_name] = found
    if problems:
        raise layout_mismatch(problems, missing)
    if missing:
        raise StorageMisconfigured(
            f"{len(missing)} of {len(models)} DynamoDB tables are missing at "
            f"{runner.settings.endpoint}: {', '.join(missing)}; run `aace init` to create them",
            hint="run `aace init --storage URL` (or `await store.initialize()`) with the same "
            "storage URL, table prefix and table names",
        )
