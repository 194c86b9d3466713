"""The DynamoDB side of ``Repository.scan``: one ``Scan`` (or ``Query``) request per page.

The whole table, or a tenant's records on a table hashed on a parent, is a parallel
``Scan`` (``Segment`` / ``TotalSegments``, strongly consistent; the tenant as a filter, so
a page may hold fewer records than ``Limit`` read). A tenant's records on a table hashed on
the tenant are one partition: a ``Query`` on it, all in segment 0 (the other segments are
empty), which keeps the union of the segments right. A position is the last key read
(DynamoDB's ``LastEvaluatedKey``) in the plain form of :mod:`aace.domain.scan`.
"""

from __future__ import annotations

from typing import Any

import attrs
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.errors import error_code, error_message, translate
from aace.adapters.dynamodb.runner import Runner
from aace.domain.errors import ValidationError
from aace.domain.scan import ScanRequest

__all__ = ["Scan"]

Record = dict[str, Any]


@attrs.frozen
class Scan:
    """One checked scan request (:class:`ScanRequest`) as DynamoDB requests."""

    checked: ScanRequest

    @property
    def start(self) -> Item | None:
        """The ``ExclusiveStartKey`` of the position: the key in wire form."""
        after, schema = self.checked.after, self.checked.schema
        if after is None:
            return None
        return {schema.hash_key: {"S": after[0]}, schema.range_key: {"S": after[1]}}

    def request(self, table: str) -> tuple[str, dict[str, Any]]:
        """The operation and its request."""
        scan = self.checked
        request: dict[str, Any] = {"TableName": table, "Limit": scan.limit, "ConsistentRead": True}
        if self.start is not None:
            request["ExclusiveStartKey"] = self.start
        if scan.tenant is not None:
            request["ExpressionAttributeNames"] = {"#pk": "partition_key"}
            request["ExpressionAttributeValues"] = {":pk": {"S": str(scan.tenant)}}
        if scan.one_partition:
            request["KeyConditionExpression"] = "#pk = :pk"
            return "Query", request
        if scan.tenant is not None:
            request["FilterExpression"] = "#pk = :pk"
        if scan.segments > 1:
            request["Segment"] = scan.segment
            request["TotalSegments"] = scan.segments
        return "Scan", request

    async def page(
        self, runner: Runner, codec: ItemCodec, table: str
    ) -> tuple[list[Record], str | None]:
        """The page's records (decoded, deletion marks dropped) and the next position."""
        scan = self.checked
        if scan.one_partition and scan.segment != 0:
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
        if not last:
            return records, None
        schema = scan.schema
        return records, scan.position(last[schema.hash_key]["S"], last[schema.range_key]["S"])
