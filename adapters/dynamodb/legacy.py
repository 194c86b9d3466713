"""The legacy tables (storage-layout.md, "The legacy layout") on DynamoDB, as the migration
reads them: the :class:`~aace.domain.legacy_source.LegacySource` port's DynamoDB side.

Raw, cross-tenant access through the adapter's :class:`Runner` (its retries and error
translation): parallel-scan pages with resumable positions, parents' ``endpoint_id`` in
batches, the in-place backfill of a child table, and the tables' DynamoDB Streams. Records
come back as plain attribute maps decoded with the new layout's attribute types (datetimes
as datetimes), so :func:`aace.domain.migration.migrated` can turn them into entities.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, overload

import botocore.session
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.batch import batch_get
from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.errors import error_code, is_transient, translate
from aace.adapters.dynamodb.models import build_model
from aace.adapters.dynamodb.pynamodb_internals import botocore_client
from aace.adapters.dynamodb.runner import Runner
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.domain.errors import ValidationError
from aace.domain.legacy_source import (
    ChangeKind,
    IteratorExpired,
    LegacyPage,
    Shard,
    SourceRecord,
    StreamBatch,
    StreamEvent,
    StreamTrimmed,
    TableAddress,
    TableInfo,
)
from aace.domain.migration import LegacyTable, ParentLink, Unreadable, parents_tenants
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = ["DynamoLegacySource", "table_address"]


def table_address(settings: DynamoSettings, schema: EntitySchema[Any]) -> TableAddress:
    """Where ``settings`` put ``schema``'s table: the endpoint, region and access key (another
    key may well be another account) and the table's name."""
    where = (settings.endpoint or "", settings.region or "", settings.aws_access_key_id or "")
    return TableAddress(("dynamodb", *where), settings.table_name(schema))


class DynamoLegacySource:
    """Reads (and, for in-place backfills, updates) the legacy tables of one DynamoDB;
    ``name``: where they are, for reports (a storage URL without its password)."""

    def __init__(self, settings: DynamoSettings, name: str) -> None:
        self.settings = settings
        self.name = name
        self.runner = Runner(settings)
        self._codecs: dict[str, ItemCodec] = {}
        self._streams: Any = None

    def codec(self, schema: EntitySchema[Any]) -> ItemCodec:
        found = self._codecs.get(schema.name)
        if found is None:
            found = self._codecs[schema.name] = ItemCodec(
                schema, build_model(schema, self.settings)
            )
        return found

    def table_name(self, table: LegacyTable | EntitySchema[Any]) -> str:
        schema = table.schema if isinstance(table, LegacyTable) else table
        return self.settings.table_name(schema)

    def address(self, table: LegacyTable) -> TableAddress:
        return table_address(self.settings, table.schema)

    async def describe(self, table: LegacyTable) -> TableInfo | None:
        """The table's description, or None when it does not exist."""
        name = self.table_name(table)
        try:
            response = await self.runner.call("DescribeTable", {"TableName": name})
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise translate(exc, table=name) from exc
        found = response["Table"]
        hash_key = next(k["AttributeName"] for k in found["KeySchema"] if k["KeyType"] == "HASH")
        stream = found.get("StreamSpecification") or {}
        return TableInfo(
            name=name,
            hash_key=hash_key,
            item_count=int(found.get("ItemCount", 0)),
            size_bytes=int(found.get("TableSizeBytes", 0)),
            stream=found.get("LatestStreamArn") if stream.get("StreamEnabled") else None,
            stream_view=stream.get("StreamViewType") if stream.get("StreamEnabled") else None,
        )

    async def page(
        self, table: LegacyTable, segment: int, segments: int, position: str | None, limit: int
    ) -> LegacyPage:
        """One page of a parallel scan, and the position after it (None at the end)."""
        request: dict[str, Any] = {
            "TableName": self.table_name(table),
            "Segment": segment,
            "TotalSegments": segments,
            "Limit": limit,
            "ConsistentRead": True,
        }
        if position is not None:
            request["ExclusiveStartKey"] = _position(position)
        response = await self.runner.send("Scan", request)
        items: list[Item] = response.get("Items", [])
        last = response.get("LastEvaluatedKey")
        position = json.dumps(last, sort_keys=True) if last else None
        return LegacyPage(_Decoded(self, table, items), position, wire=items)

    def decode(self, table: LegacyTable, item: Item) -> SourceRecord:
        """One item as a record; an item that does not decode is :class:`Unreadable`."""
        try:
            return self.codec(table.schema).decode(item)
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            names = (table.legacy_hash_key, table.schema.range_key)
            key = {n: next(iter(item[n].values()), None) for n in names if n in item}
            return Unreadable(key, f"cannot be decoded: {exc}")

    async def distinct_hash_values(self, table: LegacyTable) -> set[str]:
        """The distinct hash-key values of the table (its tenants, on a table hashed on
        ``endpoint_id``): one eventually consistent scan reading only that attribute."""
        name = table.legacy_hash_key
        request: dict[str, Any] = {
            "TableName": self.table_name(table),
            "ProjectionExpression": "#h",
            "ExpressionAttributeNames": {"#h": name},
        }
        values: set[str] = set()
        while True:
            response = await self.runner.send("Scan", request)
            values.update(item[name]["S"] for item in response.get("Items", []) if name in item)
            if "LastEvaluatedKey" not in response:
                return values
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    async def count(self, table: LegacyTable, *, missing: str | None = None) -> int:
        """How many records the table holds (``missing``: only those without that
        attribute, as an in-place backfill's leftovers): a COUNT scan."""
        request: dict[str, Any] = {"TableName": self.table_name(table), "Select": "COUNT"}
        if missing is not None:
            request["FilterExpression"] = "attribute_not_exists(#m)"
            request["ExpressionAttributeNames"] = {"#m": missing}
        total = 0
        while True:
            response = await self.runner.send("Scan", request)
            total += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return total
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    async def parent_tenants(
        self, link: ParentLink, keys: Sequence[EntityKey]
    ) -> dict[EntityKey, PartitionKey]:
        """The tenant each parent found passes on (one BatchGetItem per 100 keys): its own
        ``partition_key`` when it has one, else its ``endpoint_id``'s legacy tenant."""
        distinct = list(dict.fromkeys(keys))
        schema = link.parent
        wire = [
            {schema.hash_key: {"S": hash_value}, schema.range_key: {"S": range_value}}
            for hash_value, range_value in distinct
        ]
        codec = self.codec(schema)
        found = await batch_get(self.runner, self.table_name(schema), wire, codec.key_of_item)
        names = ("partition_key", "endpoint_id")
        plain: dict[EntityKey, Mapping[str, Any]] = {
            key: {n: item[n].get("S") for n in names if n in item} for key, item in found.items()
        }
        return parents_tenants(plain)

    async def backfill(
        self, table: LegacyTable, record: Mapping[str, Any], tenant: PartitionKey
    ) -> bool:
        """Add the tenant attributes the record lacks, in place; False when it has all three
        or is gone (so a re-run changes nothing). Attributes it has are never changed."""
        schema = table.schema
        name = self.table_name(table)
        request: dict[str, Any] = {
            "TableName": name,
            "Key": {
                schema.hash_key: {"S": record[schema.hash_key]},
                schema.range_key: {"S": record[schema.range_key]},
            },
            "UpdateExpression": "SET #pk = :pk, #ep = :ep, #part = :part",
            "ConditionExpression": (
                "attribute_exists(#h)"
                " AND (attribute_not_exists(#pk) OR attribute_not_exists(#ep)"
                " OR attribute_not_exists(#part))"
                " AND (attribute_not_exists(#pk) OR #pk = :pk)"
                " AND (attribute_not_exists(#ep) OR #ep = :ep)"
                " AND (attribute_not_exists(#part) OR #part = :part)"
            ),
            "ExpressionAttributeNames": {
                "#pk": "partition_key",
                "#ep": "endpoint_id",
                "#part": "part_id",
                "#h": schema.hash_key,
            },
            "ExpressionAttributeValues": {
                ":pk": {"S": str(tenant)},
                ":ep": {"S": tenant.endpoint_id},
                ":part": {"S": tenant.part_id},
            },
        }
        try:
            await self.runner.call("UpdateItem", request)
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise translate(exc, table=name) from exc
        return True

    # -- streams ------------------------------------------------------------------------

    def _stream_client(self) -> Any:
        if self._streams is None:
            settings = self.settings
            self._streams = botocore.session.get_session().create_client(
                "dynamodbstreams",
                region_name=settings.region,
                endpoint_url=settings.endpoint_url,
                aws_access_key_id=settings.aws_access_key_id,
                aws_secret_access_key=settings.aws_secret_access_key,
                aws_session_token=settings.aws_session_token,
                config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )
        return self._streams

    async def _streams_call(self, operation: str, **kwargs: Any) -> dict[str, Any]:
        client = self._stream_client()
        method = getattr(client, operation)

        def call() -> dict[str, Any]:
            result: dict[str, Any] = method(**kwargs)
            return result

        try:
            return await self.runner.retry(_transient, self.runner.in_worker, call)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ExpiredIteratorException":
                raise IteratorExpired("the shard iterator expired") from exc
            if code == "TrimmedDataAccessException":
                raise StreamTrimmed.changes_lost() from exc
            raise translate(exc, table=str(kwargs.get("StreamArn") or "")) from exc
        except BotoCoreError as exc:
            raise translate(exc, table=str(kwargs.get("StreamArn") or "")) from exc

    async def shards(self, stream: str) -> list[Shard]:
        """Every shard of the stream, parents before their children."""
        shards: list[dict[str, Any]] = []
        request: dict[str, Any] = {"StreamArn": stream}
        while True:
            response = await self._streams_call("describe_stream", **request)
            description = response["StreamDescription"]
            shards.extend(description.get("Shards", []))
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            request["ExclusiveStartShardId"] = last
        known = {s["ShardId"] for s in shards}
        ordered: list[dict[str, Any]] = []
        placed: set[str] = set()
        while len(ordered) < len(shards):
            for shard in shards:
                parent = shard.get("ParentShardId")
                if shard["ShardId"] not in placed and (parent not in known or parent in placed):
                    ordered.append(shard)
                    placed.add(shard["ShardId"])
        return [Shard(s["ShardId"], s.get("ParentShardId")) for s in ordered]

    async def shard_iterator(self, stream: str, shard_id: str, after: str | None) -> str | None:
        kind = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": after}
            if after
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        response = await self._streams_call(
            "get_shard_iterator", StreamArn=stream, ShardId=shard_id, **kind
        )
        iterator: str | None = response.get("ShardIterator")
        return iterator

    async def read_shard(self, table: LegacyTable, iterator: str) -> StreamBatch:
        """One read of a shard: its events and the next iterator (None: the shard is closed
        and read to its end)."""
        response = await self._streams_call("get_records", ShardIterator=iterator, Limit=1000)
        events = []
        for raw in response.get("Records", []):
            change = raw["dynamodb"]
            new, old = _image(change.get("NewImage")), _image(change.get("OldImage"))
            events.append(
                StreamEvent(
                    sequence=change["SequenceNumber"],
                    kind=ChangeKind(raw["eventName"]),
                    new=self.decode(table, new) if new else None,
                    old=self.decode(table, old) if old else None,
                    at=_moment(change.get("ApproximateCreationDateTime")),
                )
            )
        return StreamBatch(tuple(events), response.get("NextShardIterator"))

    async def close(self) -> None:
        for client in (botocore_client(self.runner.connection), self._streams):
            if client is not None:
                client.close()


class _Decoded(Sequence[SourceRecord]):
    """A page's items, each decoded on first access: a bulk copy that takes an item as it
    is never decodes it."""

    def __init__(self, source: DynamoLegacySource, table: LegacyTable, items: list[Item]):
        self._source, self._table, self._items = source, table, items
        self._decoded: dict[int, SourceRecord] = {}

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> SourceRecord: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SourceRecord]: ...

    def __getitem__(self, index: int | slice) -> SourceRecord | Sequence[SourceRecord]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._items)))]
        found = self._decoded.get(index)
        if found is None:
            item = self._items[index]
            found = self._decoded[index] = self._source.decode(self._table, item)
        return found


def _typed(value: Any) -> Any:
    """An attribute value with its type restored where the stream left it out: DynamoDB
    Local writes an empty map as ``{}`` rather than ``{"M": {}}`` in stream images."""
    if not value:
        return {"M": {}}
    ((kind, raw),) = value.items()
    if kind == "M":
        return {"M": {k: _typed(v) for k, v in raw.items()}}
    if kind == "L":
        return {"L": [_typed(v) for v in raw]}
    return value


def _image(image: Item | None) -> Item | None:
    return None if image is None else {name: _typed(value) for name, value in image.items()}


def _transient(error: BaseException) -> bool:
    return isinstance(error, Exception) and is_transient(error)


def _moment(value: Any) -> datetime | None:
    """A change's time: epoch seconds on the wire."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    return value if isinstance(value, datetime) else None


def _position(position: str) -> Item:
    try:
        start = json.loads(position)
    except ValueError:
        start = None
    if not isinstance(start, dict) or not all(
        isinstance(v, dict) and len(v) == 1 for v in start.values()
    ):
        raise ValidationError("position", "is not a position this tool saved")
    return start
