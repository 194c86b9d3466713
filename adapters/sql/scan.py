"""The SQL side of ``Repository.scan``: keyset pages in primary-key order, segments by a
hash of the key.

A row's segment is ``md5(hash || "\\x1f" || range)``, its first 4 bytes read as a big-endian
unsigned integer, modulo ``segments`` (over the key's UTF-8 bytes): the in-memory adapter's
rule, so both SQL dialects and the reference split a table alike. PostgreSQL computes it
with built-ins (``md5``, ``convert_to``, a ``bit(32)`` cast); SQLite with a deterministic
Python function registered on each connection the first time a segmented scan uses it.

Every segment walks the whole primary key (skipping the other segments' rows), so segments
divide the records among workers, not the reading the database does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeGuard

import attrs
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    Select,
    Text,
    cast,
    func,
    literal,
    literal_column,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import BIT
from sqlalchemy.ext.asyncio import AsyncConnection

from aace.adapters.sql.entity_table import EntityTable
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import MAX_PARTITION_KEY_BYTES, PartitionKey
from aace.domain.values import MAX_RANGE_KEY_BYTES, NOT_IN_IDS

__all__ = ["BUCKET_FUNCTION", "MAX_SCAN_LIMIT", "MAX_SEGMENTS", "Scan", "bucket", "read_page"]

MAX_SEGMENTS = 1_000_000
MAX_SCAN_LIMIT = 1000
#: The SQLite function that computes a key's bucket (registered per connection).
BUCKET_FUNCTION = "aace_scan_bucket"
#: Longer text is no position this adapter made (two keys of at most 2048 bytes).
_MAX_POSITION_CHARS = 10_000


def bucket(hash_value: str, range_value: str) -> int:
    """The 32-bit number whose remainder by ``segments`` is the key's segment."""
    text = f"{hash_value}\x1f{range_value}".encode()
    return int.from_bytes(hashlib.md5(text, usedforsecurity=False).digest()[:4], "big")


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _key_text(value: object, most: int) -> TypeGuard[str]:
    """Text a key could hold (DynamoDB's limits: ``most`` UTF-8 bytes)."""
    return (
        isinstance(value, str)
        and value != ""
        and not NOT_IN_IDS.search(value)
        and len(value.encode("utf-8")) <= most
    )


@attrs.frozen
class Scan:
    """One checked scan request: the segment, the page size, the tenant, and the key the
    page starts after."""

    segment: int
    segments: int
    limit: int
    tenant: PartitionKey | None
    after: tuple[str, str] | None

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
            raise ValidationError(
                "segments", f"must be from 1 to {MAX_SEGMENTS}, got {segments!r}"
            )
        if not (_whole(segment) and 0 <= segment < segments):
            raise ValidationError("segment", f"must be from 0 to {segments - 1}, got {segment!r}")
        if not (_whole(limit) and 1 <= limit <= MAX_SCAN_LIMIT):
            raise ValidationError("limit", f"must be from 1 to {MAX_SCAN_LIMIT}, got {limit!r}")
        if tenant is not None and not isinstance(tenant, PartitionKey):
            raise ValidationError("tenant", f"must be a PartitionKey, got {type(tenant).__name__}")
        if tenant is not None and schema.platform:
            raise ValidationError("tenant", f"{schema.name} is a platform registry, no tenant's")
        after = None
        if position is not None:
            after = _after(schema, position, tenant)
            if segments > 1 and bucket(*after) % segments != segment:
                raise ValidationError("position", f"is not in segment {segment} of {segments}")
        return cls(segment, segments, limit, tenant, after)


def _after(
    schema: EntitySchema[Any], position: object, tenant: PartitionKey | None
) -> tuple[str, str]:
    """The key a position names: the JSON object ``{hash_key: value, range_key: value}``."""
    unknown = f"is not a position of a {schema.name} scan"
    try:
        small = isinstance(position, str) and len(position) <= _MAX_POSITION_CHARS
        decoded = json.loads(position) if small else None  # type: ignore[arg-type]
    except (ValueError, RecursionError):
        decoded = None
    names = (schema.hash_key, schema.range_key)
    if not isinstance(decoded, dict) or set(decoded) != set(names):
        raise ValidationError("position", unknown)
    hash_value, range_value = decoded[names[0]], decoded[names[1]]
    if not (
        _key_text(hash_value, MAX_PARTITION_KEY_BYTES)
        and _key_text(range_value, MAX_RANGE_KEY_BYTES)
    ):
        raise ValidationError("position", unknown)
    if tenant is not None and schema.tenant_hashed and hash_value != str(tenant):
        raise ValidationError("position", "is a position of another tenant's scan")
    return hash_value, range_value


def _bucket_of(table: EntityTable[Any], dialect: str) -> ColumnElement[Any]:
    hash_column, range_column = table.key_columns
    if dialect == "sqlite":
        return getattr(func, BUCKET_FUNCTION)(hash_column, range_column)  # type: ignore[no-any-return]
    text = func.concat(hash_column, literal_column("chr(31)"), range_column)
    digest = func.md5(func.convert_to(text, literal_column("'UTF8'")))
    prefix = literal_column("'x'", Text()).concat(func.substr(digest, 1, 8))
    return cast(cast(prefix, BIT(32)), BigInteger())


def _statement(table: EntityTable[Any], dialect: str, scan: Scan) -> Select[Any]:
    """The page plus one row of lookahead, so a full last page is known to be last."""
    hash_column, range_column = table.key_columns
    statement = select(table.table)
    if scan.tenant is not None:
        statement = statement.where(table.tenant_column == str(scan.tenant))
    if scan.after is not None:
        start = tuple_(
            literal(scan.after[0], hash_column.type), literal(scan.after[1], range_column.type)
        )
        statement = statement.where(tuple_(hash_column, range_column) > start)
    if scan.segments > 1:
        statement = statement.where(_bucket_of(table, dialect) % scan.segments == scan.segment)
    return statement.order_by(hash_column, range_column).limit(scan.limit + 1)


async def _prepare(connection: AsyncConnection, scan: Scan) -> None:
    """Register :data:`BUCKET_FUNCTION` on a SQLite connection, once per driver connection
    (SQLAlchemy empties ``info`` when it replaces the driver connection)."""
    if scan.segments == 1 or connection.dialect.name != "sqlite":
        return
    if connection.info.get(BUCKET_FUNCTION):
        return
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.create_function(BUCKET_FUNCTION, 2, bucket, deterministic=True)
    connection.info[BUCKET_FUNCTION] = True


async def read_page(
    connection: AsyncConnection, *, table: EntityTable[Any], scan: Scan
) -> tuple[list[Row[Any]], str | None]:
    """One page of rows and the position after it (``None`` when the segment is done)."""
    await _prepare(connection, scan)
    statement = _statement(table, connection.dialect.name, scan)
    rows = list((await connection.execute(statement)).all())
    page = rows[: scan.limit]
    if len(rows) <= scan.limit:
        return page, None
    names = [column.name for column in table.key_columns]
    last = page[-1]._mapping
    return page, json.dumps({name: last[name] for name in names})
