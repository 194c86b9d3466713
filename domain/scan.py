"""``Repository.scan``'s arguments, checked once for every adapter, and its positions.

A position is the JSON object ``{hash_key: value, range_key: value}`` of the last record a
page held: plain text on every adapter (DynamoDB's ``LastEvaluatedKey`` of a table scan is
that key too), so a later process, or another machine, resumes from it. Memory and SQL
split a table into segments by :func:`bucket` of the key; DynamoDB by its own hash.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeGuard

import attrs

from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import MAX_PARTITION_KEY_BYTES, PartitionKey, require_operator
from aace.domain.values import MAX_RANGE_KEY_BYTES, NOT_IN_IDS

__all__ = ["MAX_SCAN_LIMIT", "MAX_SEGMENTS", "ScanRequest", "bucket", "refuse_tenant_hashed"]

#: DynamoDB's limit on a parallel scan's segments, the same everywhere.
MAX_SEGMENTS = 1_000_000
MAX_SCAN_LIMIT = 1000
#: Longer text is no position a scan made (two keys of at most 2048 bytes).
_MAX_POSITION_CHARS = 10_000


def bucket(hash_value: str, range_value: str) -> int:
    """The 32-bit number whose remainder by ``segments`` is a key's segment (memory, SQL):
    the first 4 bytes, big-endian, of ``md5(hash + "\\x1f" + range)`` over UTF-8."""
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
class ScanRequest:
    """One checked scan: the segment, the page size, the tenant, and the key the page
    starts after."""

    schema: EntitySchema[Any]
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
        bucketed: bool,
    ) -> ScanRequest:
        """The arguments of ``Repository.scan``, or ``ValidationError`` naming the bad one.
        ``bucketed``: segments are :func:`bucket`'s, so a position of another segment is
        refused here (DynamoDB refuses it itself). A scan of every tenant's records is
        ``Forbidden`` outside operator mode (:func:`~aace.domain.tenancy.as_operator`)."""
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
        after = None if position is None else _after(schema, position, tenant)
        if after is not None and bucketed and bucket(*after) % segments != segment:
            raise ValidationError("position", f"is not in segment {segment} of {segments}")
        if tenant is None and not schema.platform:
            require_operator(f"a scan of every tenant's {schema.name}")
        schema.check_reader()
        return cls(schema, segment, segments, limit, tenant, after)

    @property
    def one_partition(self) -> bool:
        """A tenant's records on a table hashed on the tenant: one partition, all of it in
        segment 0 (the other segments are empty)."""
        return self.tenant is not None and self.schema.tenant_hashed

    def position(self, hash_value: str, range_value: str) -> str:
        """The position after the record with this key."""
        return json.dumps({self.schema.hash_key: hash_value, self.schema.range_key: range_value})


def _after(
    schema: EntitySchema[Any], position: object, tenant: PartitionKey | None
) -> tuple[str, str]:
    """The key a position names."""
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


def refuse_tenant_hashed(schema: EntitySchema[Any], key: object) -> tuple[str, ...]:
    """``key``, checked, for ``Repository.find_in_any_tenant``: only a table hashed on its
    own ids holds a record any tenant's key names alone."""
    if schema.tenant_hashed:
        raise ValidationError("key", f"{schema.name} is hashed on the tenant: name one")
    return schema.check_key(key)
