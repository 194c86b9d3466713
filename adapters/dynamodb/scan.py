"""The DynamoDB side of ``Repository.scan``: one ``Scan`` (or ``Query``) request per page.

The whole table, or a tenant's records on a table hashed on a parent, is a parallel
``Scan`` (``Segment`` / ``TotalSegments``, strongly consistent; the tenant as a filter, so
a page may hold fewer records than ``Limit`` read). A tenant's records on a table hashed on
the tenant are one partition: a ``Query`` on it, all in segment 0 (the other segments are
empty), which keeps the union of the segments right. A position is DynamoDB's own
``LastEvaluatedKey`` as JSON.
"""

from __future__ import annotations

import json
from typing import Any, TypeGuard

import attrs
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.errors import error_code, error_message, translate
from aace.adapters.dynamodb.runner import Runner
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import MAX_PARTITION_KEY_BYTES, PartitionKey
from aace.domain.values import MAX_RANGE_KEY_BYTES, NOT_IN_IDS

__all__ = ["MAX_SCAN_LIMIT", "MAX_SEGMENTS", "Scan"]

#: DynamoDB's limit on ``TotalSegments``.
MAX_SEGMENTS = 1_000_000
MAX_SCAN_LIMIT = 1000
#: Longer text is no position this adapter made (two keys of at most 2048 bytes).
_MAX_POSITION_CHARS = 10_000

Record = dict[str, Any]


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _key_value(value: object, most: int) -> TypeGuard[dict[str, str]]:
    """A key attribute in wire form, ``{"S": text}``, with text a key could hold (at most
    ``most`` UTF-8 bytes)."""
    if not isinstance(value, dict) or set(value) != {"S"}:
        return False
    text = value["S"]
    return (
        isinstance(text, str)
        and text != ""
        and not NOT_IN_IDS.search(text)
        and len(text.encode("utf-8")) <= most
    )


def _start(schema: EntitySchema[Any], position: object, tenant: PartitionKey | None) -> Item:
    """The ``ExclusiveStartKey`` a position names (a ``LastEvaluatedKey`` of this table)."""
    unknown = f"is not a position of a {schema.name} scan"
    try:
        small = isinstance(position, str) and len(position) <= _MAX_POSITION_CHARS
        decoded = json.loads(position) if small else None  # type: ignore[arg-type]
    except (ValueError, RecursionError):
        decoded = None
    if not isinstance(decoded, dict) or set(decoded) != {schema.hash_key, schema.range_key}:
        raise ValidationError("position", unknown)
    if not (
        _key_value(decoded[schema.hash_key], MAX_PARTITION_KEY_BYTES)
        and _key_value(decoded[schema.range_key], MAX_RANGE_KEY_BYTES)
    ):
        raise ValidationError("position", unknown)
    hash_value = decoded[schema.hash_key]["S"]
    if tenant is not None and schema.tenant_hashed and hash_value != str(tenant):
        raise ValidationError("position", "is a position of another tenant's scan")
    return decoded


@attrs.frozen
class Scan:
    """One checked scan request of one table."""

    schema: EntitySchema[Any]
    segment: int
    segments: int
    limit: int
    tenant: PartitionKey | None
    start: Item | None

    @classmethod
    def check(
        cls,
        schema: EntitySchema[Any],
        *,
        segment: object,
        segments: object,
        position: object,
        limit: object,
        tenant: object,
    ) -> Scan:
        """The arguments of ``Repository.scan``, or ``ValidationError`` naming the bad one."""
        if not (_whole(segments) and 1 <= segments <= MAX_SEGMENTS):
            raise ValidationError("segments", f"must be from 1 to 1000000, got {segments!r}")
        if not (_whole(segment) and 0 <= segment < segments):
            raise ValidationError("segment", f"must be from 0 to {segments - 1}, got {segment!r}")
        if not (_whole(limit) and 1 <= limit <= MAX_SCAN_LIMIT):
            raise ValidationError("limit", f"must be from 1 to {MAX_SCAN_LIMIT}, got {limit!r}")
        if tenant is not None and not isinstance(tenant, PartitionKey):
            raise ValidationError("tenant", f"must be a PartitionKey, got {type(tenant).__name__}")
        if tenant is not None and schema.platform:
            raise ValidationError("tenant", f"{schema.name} is a platform registry, no tenant's")
        start = None if position is None else _start(schema, position, tenant)
        return cls(schema, segment, segments, limit, tenant, start)

    @property
    def one_partition(self) -> bool:
        """A tenant's records on a table hashed on the tenant: a ``Query``."""
        return self.tenant is not None and self.schema.tenant_hashed

    def request(self, table: str) -> tuple[str, dict[str, Any]]:
        """The operation and its request."""
        request: dict[str, Any] = {"TableName": table, "Limit": self.limit, "ConsistentRead": True}
        if self.start is not None:
            request["ExclusiveStartKey"] = self.start
        if self.tenant is not None:
            request["ExpressionAttributeNames"] = {"#pk": "partition_key"}
            request["ExpressionAttributeValues"] = {":pk": {"S": str(self.tenant)}}
        if self.one_partition:
            request["KeyConditionExpression"] = "#pk = :pk"
            return "Query", request
        if self.tenant is not None:
            request["FilterExpression"] = "#pk = :pk"
        if self.segments > 1:
            request["Segment"] = self.segment
            request["TotalSegments"] = self.segments
        return "Scan", request

    async def page(
        self, runner: Runner, codec: ItemCodec, table: str
    ) -> tuple[list[Record], str | None]:
        """The page's records (decoded, deletion marks dropped) and the next position."""
        if self.one_partition and self.segment != 0:
            return [], None
        operation, request = self.request(table)
        try:
            response = await runner.call(operation, request)
        except ClientError as exc:
            if self.start is not None and error_code(exc) == "ValidationException":
                raise ValidationError(
                    "position", f"DynamoDB refused it as a start key: {error_message(exc)}"
                ) from exc
            raise translate(exc, table=table) from exc
        except BotoCoreError as exc:
            raise translate(exc, table=table) from exc
        records = [codec.decode(item) for item in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return records, (json.dumps(last) if last else None)
