"""Condition expressions for writes, and the domain error a failed condition means.

Tenant isolation on tables hashed on a parent uuid lives here: every conditional write
requires the stored record's ``partition_key`` to be the caller's, and an unconditional
write may only replace the caller's own record. Platform registries have no owner: their
conditions name the key only.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, assert_never

import attrs

from aace.adapters.dynamodb.codec import MARK_ATTRIBUTES, ItemCodec
from aace.domain.errors import AaceError, ConditionFailed, Conflict, NotFound
from aace.domain.ports import Condition, ConditionKind
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = [
    "MARK_ATTRIBUTES",
    "Expression",
    "and_clause",
    "condition_failure",
    "now_ms",
    "owns",
    "unmarked",
    "write_condition",
]


def now_ms() -> int:
    """Epoch milliseconds, the unit of a deletion mark's lease."""
    return int(time.time() * 1000)


def and_clause(
    request: dict[str, Any], clause: str, names: Mapping[str, str], values: Mapping[str, Any]
) -> None:
    """Add ``clause`` (with its placeholders) to the request's condition expression."""
    current = request.get("ConditionExpression")
    request["ConditionExpression"] = clause if current is None else f"({current}) AND {clause}"
    request.setdefault("ExpressionAttributeNames", {}).update(names)
    if values:
        request.setdefault("ExpressionAttributeValues", {}).update(values)


def unmarked(request: dict[str, Any]) -> dict[str, Any]:
    """``request`` (a parent's ``ConditionCheck``) also requiring that no guarded delete
    of the parent is under way (no deletion mark, or an expired one)."""
    and_clause(
        request,
        "(attribute_not_exists(#dm_until) OR #dm_until < :dm_now)",
        {"#dm_until": MARK_ATTRIBUTES[1]},
        {":dm_now": {"N": str(now_ms())}},
    )
    return request


@attrs.frozen
class Expression:
    """A condition expression with its placeholders (``text`` is ``None`` for no condition)."""

    text: str | None
    names: dict[str, str] = attrs.field(factory=dict)
    values: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    def into(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request`` with the condition added."""
        if self.text is None:
            return request
        request["ConditionExpression"] = self.text
        request["ExpressionAttributeNames"] = self.names
        if self.values:
            request["ExpressionAttributeValues"] = self.values
        return request


def write_condition(codec: ItemCodec, tenant: PartitionKey, condition: Condition) -> Expression:
    """The expression that makes a put or delete obey ``condition`` for ``tenant``."""
    schema = codec.schema
    match condition.kind:
        case ConditionKind.ABSENT:
            return Expression("attribute_not_exists(#h)", {"#h": schema.hash_key})
        case ConditionKind.NOT_NEWER:
            return _not_newer(schema, tenant, codec, condition)
        case ConditionKind.ANY:
            if not schema.tenant_checked:
                return Expression(None)
            names = {"#h": schema.hash_key, "#pk": "partition_key"}
            owner = {":pk": {"S": str(tenant)}}
            return Expression("attribute_not_exists(#h) OR #pk = :pk", names, owner)
        case ConditionKind.PRESENT:
            return _present(codec, tenant, condition)
        case _:
            assert_never(condition.kind)


def _present(codec: ItemCodec, tenant: PartitionKey, condition: Condition) -> Expression:
    """The tenant's own record (any record of a platform registry), with the condition's
    attribute values."""
    schema = codec.schema
    values: dict[str, dict[str, Any]]
    if schema.platform:  # no owner: the record only has to be there
        clauses, names, values = ["attribute_exists(#h)"], {"#h": schema.hash_key}, {}
        never = "attribute_not_exists(#h)"
    else:
        clauses, names, values = ["#pk = :pk"], {"#pk": "partition_key"}, {}
        values[":pk"] = {"S": str(tenant)}
        never = "attribute_not_exists(#pk)"
    for number, (name, expected) in enumerate(sorted(condition.equals.items())):
        alias, placeholder = f"#c{number}", f":c{number}"
        if expected is None:
            names[alias] = name
            clauses.append(f"(attribute_not_exists({alias}) OR attribute_type({alias}, :null))")
            values[":null"] = {"S": "NULL"}
        elif name in schema.attribute_kinds and codec.fits(name, expected):
            names[alias] = name
            clauses.append(f"{alias} = {placeholder}")
            values[placeholder] = codec.value(name, expected)
        else:
            clauses.append(never)  # can never hold on an own record
    return Expression(" AND ".join(clauses), names, values)


def _not_newer(
    schema: EntitySchema[Any], tenant: PartitionKey, codec: ItemCodec, condition: Condition
) -> Expression:
    """Missing, or (the tenant's own and) dated at most the condition's stamp."""
    assert condition.stamp is not None  # checked by the action
    field, value = condition.stamp
    names = {"#h": schema.hash_key, "#s": field}
    values = {":s": codec.value(field, value)}
    older = "(attribute_not_exists(#s) OR #s <= :s)"
    if not schema.tenant_checked:
        return Expression(f"attribute_not_exists(#h) OR {older}", names, values)
    names["#pk"] = "partition_key"
    values[":pk"] = {"S": str(tenant)}
    return Expression(f"attribute_not_exists(#h) OR (#pk = :pk AND {older})", names, values)


def owns(schema: EntitySchema[Any], tenant: PartitionKey, item: Mapping[str, Any]) -> bool:
    """Whether ``tenant`` sees the stored wire ``item`` as its own."""
    return schema.visible_to(tenant, item.get("partition_key", {}).get("S"))


def condition_failure(
    codec: ItemCodec,
    tenant: PartitionKey,
    key: EntityKey,
    condition: Condition,
    stored: Mapping[str, Any] | None,
) -> AaceError:
    """What a failed ``condition`` means, given the stored item (``None`` when missing)."""
    name = codec.schema.name
    # On NOT_NEWER only a parent-hashed table brings the stored item back (it may be foreign).
    newer = not codec.schema.tenant_checked or bool(stored and owns(codec.schema, tenant, stored))
    match condition.kind:
        case ConditionKind.NOT_NEWER if newer:
            return ConditionFailed(f"{name} {key} is newer in the store")
        case ConditionKind.NOT_NEWER | ConditionKind.ANY | ConditionKind.ABSENT:
            return Conflict(f"{name} {key} already exists")
        case ConditionKind.PRESENT:
            if stored is None or not owns(codec.schema, tenant, stored):
                return NotFound(f"{name} {key} not found")
            return ConditionFailed(f"{name} {key} changed since it was read")
        case _:
            assert_never(condition.kind)
