"""Records this package adds (no deployed equivalent): idempotency keys and tenant counters."""

from __future__ import annotations

from datetime import datetime

import attrs

from aace.domain.entities.base import Entity
from aace.domain.fields import id_field, integer, string_list, text, timestamp
from aace.domain.schema import EntitySchema, TableGroup

__all__ = ["IDEMPOTENCY", "TENANT_COUNTERS", "IdempotencyRecord", "TenantCounter"]


@attrs.frozen(kw_only=True)
class IdempotencyRecord(Entity):
    """Remembers what a create with this key produced, and a fingerprint of its input."""

    idempotency_key: str = id_field()
    operation: str = text(nonblank=True)
    fingerprint: str = text(nonblank=True)
    entity_name: str = text(nonblank=True)
    entity_key: list[str] = string_list(optional=False)
    created_at: datetime = timestamp()


IDEMPOTENCY = EntitySchema(
    name="idempotency",
    entity=IdempotencyRecord,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="idempotency_key",
)


@attrs.frozen(kw_only=True)
class TenantCounter(Entity):
    """A per-tenant count (for example distinct agents), kept in step with the records."""

    counter_name: str = id_field()
    value: int = integer(default=0)
    updated_at: datetime = timestamp()


TENANT_COUNTERS = EntitySchema(
    name="tenant_counters",
    entity=TenantCounter,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="counter_name",
)
