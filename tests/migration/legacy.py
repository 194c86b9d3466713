"""Legacy tables and records as the deployed code left them: written with a plain boto3
client on DynamoDB Local, or into the memory legacy source.

Tables follow storage-layout.md, "The legacy layout": the re-keyed tables (and their LSIs)
hashed on ``endpoint_id``; child tables and registries with the keys they keep. Every table
has a NEW_AND_OLD_IMAGES stream. Records are made from the package's sample entities, then
stripped of what legacy records lacked: ``partition_key`` and ``part_id`` everywhere, and
``endpoint_id`` too on messages, tool calls and session agents (their tenant is their
parent's).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import attrs
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from aace.domain.entities import MESSAGES, RUNS, SESSION_AGENTS, SESSIONS, TOOL_CALLS
from aace.domain.migration import LEGACY_TABLES, LegacyTable, Treatment
from aace.domain.records import to_record
from aace.domain.schema import AttrKind, EntitySchema, IndexKind, TableNames
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

__all__ = [
    "BotoTables",
    "LegacyData",
    "LegacyWriter",
    "create_legacy_tables",
    "from_wire",
    "legacy_record",
    "to_wire",
]

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()
PYNAMODB_DATETIME = "%Y-%m-%dT%H:%M:%S.%f%z"
NAMES = TableNames()


def table_name(prefix: str, table: LegacyTable) -> str:
    return f"{prefix}{NAMES(table.schema)}"


def _key_type(table: LegacyTable, name: str) -> str:
    return "N" if table.schema.attribute_kinds.get(name) is AttrKind.N else "S"


def create_legacy_tables(client: Any, prefix: str, *, stream: bool = True) -> None:
    """Every legacy table under ``prefix``, in the legacy layout."""
    for table in LEGACY_TABLES:
        schema = table.schema
        hash_key = table.legacy_hash_key
        keys = {hash_key, schema.range_key}
        local: list[dict[str, Any]] = []
        global_: list[dict[str, Any]] = []
        for index in schema.indexes:
            index_hash = hash_key if index.kind is IndexKind.LOCAL else index.hash_key
            keys |= {index_hash, index.range_key}
            spec = {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index_hash, "KeyType": "HASH"},
                    {"AttributeName": index.range_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            (local if index.kind is IndexKind.LOCAL else global_).append(spec)
        request: dict[str, Any] = {
            "TableName": table_name(prefix, table),
            "KeySchema": [
                {"AttributeName": hash_key, "KeyType": "HASH"},
                {"AttributeName": schema.range_key, "KeyType": "RANGE"},
            ],
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": _key_type(table, name)}
                for name in sorted(keys)
            ],
            "BillingMode": "PAY_PER_REQUEST",
        }
        if local:
            request["LocalSecondaryIndexes"] = local
        if global_:
            request["GlobalSecondaryIndexes"] = global_
        if stream:
            request["StreamSpecification"] = {
                "StreamEnabled": True,
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            }
        client.create_table(**request)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime(PYNAMODB_DATETIME)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def to_wire(record: dict[str, Any]) -> dict[str, Any]:
    """A record as a DynamoDB item (datetimes as PynamoDB writes them)."""
    return {k: _SERIALIZER.serialize(_plain(v)) for k, v in record.items() if v is not None}


def from_wire(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def legacy_record(table: LegacyTable, entity: Any) -> dict[str, Any]:
    """What the deployed code stored for ``entity``."""
    record = to_record(table.schema, entity)
    if table.treatment is Treatment.REGISTRY:
        return record
    record.pop("partition_key")
    record.pop("part_id")
    if table.parent is not None:
        record.pop("endpoint_id")
    return record


class LegacyWriter(Protocol):
    """Where the old code writes: DynamoDB Local through boto3, or the memory source."""

    def put(self, table: LegacyTable, item: dict[str, Any]) -> None: ...

    def delete(self, table: LegacyTable, key: tuple[Any, Any]) -> None: ...


@attrs.frozen
class BotoTables:
    """The legacy tables under ``prefix`` on DynamoDB Local, written with plain boto3."""

    client: Any
    prefix: str

    def put(self, table: LegacyTable, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=table_name(self.prefix, table), Item=to_wire(item))

    def delete(self, table: LegacyTable, key: tuple[Any, Any]) -> None:
        names = (table.legacy_hash_key, table.schema.range_key)
        wire = to_wire(dict(zip(names, key, strict=True)))
        self.client.delete_item(TableName=table_name(self.prefix, table), Key=wire)


def legacy_key(table: LegacyTable, entity: Any) -> tuple[Any, Any]:
    """The key of ``entity``'s legacy record: (legacy hash value, range value)."""
    record = to_record(table.schema, entity)
    return record[table.legacy_hash_key], record[table.schema.range_key]


@attrs.define
class LegacyData:
    """The entities each legacy table holds, as the migration should make them."""

    tables: LegacyWriter
    expected: dict[str, list[Any]] = attrs.field(factory=lambda: defaultdict(list))

    def put(self, table: LegacyTable, entity: Any) -> None:
        """Write ``entity`` as the old code would (replacing a record with its key)."""
        self.tables.put(table, legacy_record(table, entity))
        self._forget(table, entity)
        self.expected[table.name].append(entity)

    def delete(self, table: LegacyTable, entity: Any) -> None:
        """Delete ``entity``'s record as the old code would."""
        self.tables.delete(table, legacy_key(table, entity))
        self._forget(table, entity)

    def _forget(self, table: LegacyTable, entity: Any) -> None:
        key = table.schema.key_of(entity)
        kept = [e for e in self.expected[table.name] if table.schema.key_of(e) != key]
        self.expected[table.name] = kept

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.expected.values())


def _moment(number: int) -> datetime:
    return datetime(2025, 6, 1, tzinfo=UTC) + timedelta(seconds=number)


def populate(tables: LegacyWriter, endpoints: list[str], per_table: int = 3) -> LegacyData:
    """``per_table`` records of every legacy table for each endpoint (registries: once),
    children pointing at parents of their own tenant."""
    data = LegacyData(tables)
    by_name = {t.name: t for t in LEGACY_TABLES}
    tick = 0
    for endpoint in endpoints:
        tenant = PartitionKey(endpoint, endpoint)
        runs, sessions = [], []
        for table in LEGACY_TABLES:
            if table.parent is not None or table.treatment is Treatment.REGISTRY:
                continue
            for _ in range(per_table):
                tick += 1
                entity = sample(table.schema, tenant, **_dated(table, tick))
                data.put(table, entity)
                if table.schema is RUNS:
                    runs.append(entity)
                if table.schema is SESSIONS:
                    sessions.append(entity)
        children: list[tuple[EntitySchema[Any], list[Any], tuple[str, ...]]] = [
            (MESSAGES, runs, ("thread_uuid", "run_uuid")),
            (TOOL_CALLS, runs, ("thread_uuid", "run_uuid")),
            (SESSION_AGENTS, sessions, ("coordination_uuid", "session_uuid")),
        ]
        for table_schema, parents, fields in children:
            for parent in parents:
                tick += 1
                link = {name: getattr(parent, name) for name in fields}
                table = by_name[table_schema.name]
                data.put(table, sample(table_schema, tenant, **link, **_dated(table, tick)))
    for table in LEGACY_TABLES:
        if table.treatment is Treatment.REGISTRY:
            for _ in range(per_table):
                tick += 1
                data.put(table, sample(table.schema, None, **_dated(table, tick)))
    return data


def orphan_message(tables: LegacyWriter) -> dict[str, Any]:
    """A message whose run does not exist: the migration must report it, not guess."""
    table = next(t for t in LEGACY_TABLES if t.schema is MESSAGES)
    entity = sample(MESSAGES, PartitionKey("ghost", "ghost"), **_dated(table, 0))
    record = legacy_record(table, entity)
    tables.put(table, record)
    return record


def _dated(table: LegacyTable, tick: int) -> dict[str, Any]:
    moment = _moment(tick)
    names = set(table.schema.attribute_kinds)
    dated: dict[str, Any] = {
        name: moment for name in ("created_at", "updated_at") if name in names
    }
    if "updated_by" in names:
        dated["updated_by"] = "legacy"
    return dated


def new_endpoint() -> str:
    return f"ep{uuid.uuid4().hex[:8]}"
