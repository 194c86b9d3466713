"""Records this package adds (no deployed equivalent): idempotency keys, tenant counters, and
the migration tool's own state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from aace.domain.entities.base import AuditedPlatformEntity, Entity
from aace.domain.fields import id_field, integer, json_map, string_list, text, timestamp
from aace.domain.schema import EntitySchema, TableGroup

__all__ = [
    "IDEMPOTENCY",
    "MIGRATION_STATE",
    "TENANT_COUNTERS",
    "IdempotencyRecord",
    "MigrationState",
    "TenantCounter",
]


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


@attrs.frozen(kw_only=True)
class MigrationState(AuditedPlatformEntity):
    """One piece of a migration or copy job's progress, kept in the target store (never in a
    local file, so that a job resumes on any machine): a scan segment's position and
    counts, a stream shard's position, a tombstone, or the job's own description. ``item``
    says which (``segment/agents/3``, ``shard/…``, ``tombstone/…``, ``job``)."""

    job: str = id_field()
    item: str = id_field()
    state: dict[str, Any] = json_map()


MIGRATION_STATE = EntitySchema(
    name="migration_state",
    entity=MigrationState,
    group=TableGroup.AGENT,
    hash_key="job",
    range_key="item",
    platform=True,
    operator_only=True,
)
