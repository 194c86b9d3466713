"""The unit-of-work actions as DynamoDB write requests, and what their failures mean.

A failed condition brings the stored item back (``ReturnValuesOnConditionCheckFailure``)
only where the error depends on it: counters, and puts or deletes on an equality condition.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, assert_never

from aace.adapters.dynamodb.codec import ItemCodec
from aace.adapters.dynamodb.conditions import (
    Expression,
    condition_failure,
    unmarked,
    write_condition,
)
from aace.domain.errors import AaceError, ConditionFailed
from aace.domain.ports import ConditionKind
from aace.domain.schema import EntitySchema
from aace.domain.unit_of_work import (
    Action,
    CheckAction,
    DeleteAction,
    IncrementAction,
    PutAction,
)

__all__ = [
    "Target",
    "WriteRequest",
    "failure_of",
    "forgiving_delete",
    "still_foreign",
    "write_request",
]

#: (operation, request) as TransactWriteItems names it: "Put", "Delete", "Update" or
#: "ConditionCheck".
WriteRequest = tuple[str, dict[str, Any]]
#: The codec and table name of a schema.
Target = Callable[[EntitySchema[Any]], tuple[ItemCodec, str]]


def _increment(codec: ItemCodec, table: str, action: IncrementAction) -> dict[str, Any]:
    now = codec.value("updated_at", datetime.now(UTC))
    values: dict[str, dict[str, Any]] = {
        ":ep": {"S": action.tenant.endpoint_id},
        ":part": {"S": action.tenant.part_id},
        ":ua": now,
        ":by": {"N": str(action.by)},
    }
    condition = None
    if action.by < 0:
        condition = "#v >= :floor"
        values[":floor"] = {"N": str(-action.by)}
    elif action.limit is not None:
        most = action.limit - action.by
        values[":most"] = {"N": str(most)}
        condition = "attribute_not_exists(#v) OR #v <= :most" if most >= 0 else "#v <= :most"
    names = {"#ep": "endpoint_id", "#part": "part_id", "#ua": "updated_at", "#v": "value"}
    sets = ["#ep = :ep", "#part = :part", "#ua = :ua"]
    for number, (name, value) in enumerate(sorted(action.extra.items())):
        names[f"#x{number}"] = name  # the counter record's other attributes
        values[f":x{number}"] = codec.value(name, value)
        sets.append(f"#x{number} = :x{number}")
    request: dict[str, Any] = {
        "TableName": table,
        "Key": codec.key(action.tenant, action.key),
        "UpdateExpression": f"SET {', '.join(sets)} ADD #v :by",
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
    }
    if condition is not None:
        request["ConditionExpression"] = condition
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    return request


def write_request(action: Action, target: Target) -> WriteRequest:
    """The request that applies ``action`` with its condition (and the tenant's guard)."""
    if isinstance(action, IncrementAction):
        codec, table = target(action.schema)
        return "Update", _increment(codec, table, action)
    codec, table = target(action.schema)
    expression: Expression = write_condition(codec, action.tenant, action.condition)
    if isinstance(action, PutAction):
        request: dict[str, Any] = {"TableName": table, "Item": codec.encode(action.record)}
        operation = "Put"
    else:
        request = {"TableName": table, "Key": codec.key(action.tenant, action.key)}
        operation = "ConditionCheck" if isinstance(action, CheckAction) else "Delete"
    if _outcome_needs_stored_item(action):
        request["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    request = expression.into(request)
    if isinstance(action, CheckAction):  # a required parent: not while it is being deleted
        request = unmarked(request)
    return operation, request


def _outcome_needs_stored_item(action: PutAction | DeleteAction | CheckAction) -> bool:
    """Only a failed equality condition needs the stored item, to tell ``NotFound`` (missing,
    or another tenant's) from ``ConditionFailed``: any other failed condition means one
    error, so no other write brings a stored item (and the secrets it holds) back."""
    condition = action.condition
    match condition.kind:
        case ConditionKind.NOT_NEWER:
            return action.schema.tenant_checked  # newer, or another tenant's
        case ConditionKind.PRESENT:
            return bool(condition.equals)
        case ConditionKind.ANY | ConditionKind.ABSENT:
            return False
        case _:
            assert_never(condition.kind)


def forgiving_delete(action: Action) -> bool:
    """An unconditional delete on a parent-hashed table: a no-op over a foreign record."""
    return (
        isinstance(action, DeleteAction)
        and action.condition.kind is ConditionKind.ANY
        and action.schema.tenant_checked
    )


def still_foreign(action: DeleteAction, target: Target) -> WriteRequest:
    """Instead of a forgiving delete: check that the record is still another tenant's."""
    codec, table = target(action.schema)
    request = {
        "TableName": table,
        "Key": codec.key(action.tenant, action.key),
        "ConditionExpression": "attribute_exists(#h) AND #pk <> :pk",
        "ExpressionAttributeNames": {"#h": action.schema.hash_key, "#pk": "partition_key"},
        "ExpressionAttributeValues": {":pk": {"S": str(action.tenant)}},
    }
    return "ConditionCheck", request


def failure_of(action: Action, target: Target, stored: Mapping[str, Any] | None) -> AaceError:
    """The domain error of ``action``'s failed condition, given the stored item."""
    if isinstance(action, IncrementAction):
        current = None if stored is None else stored.get("value", {}).get("N")
        if action.by > 0:
            return action.refusal(
                f"{action.counter_name} is {current or 0}; adding {action.by} would pass "
                f"the limit of {action.limit}"
            )
        return ConditionFailed(f"{action.counter_name} would drop below zero")
    assert isinstance(action, (PutAction, DeleteAction, CheckAction))
    codec, _ = target(action.schema)
    return condition_failure(codec, action.tenant, action.key, action.condition, stored)
