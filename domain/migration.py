"""The ``endpoint_id`` → ``partition_key`` migration described as data, and its one transform.

storage-layout.md, "The legacy layout": the tables hashed on ``endpoint_id`` are copied into
new tables re-keyed on ``partition_key``; the child tables kept their hash keys and gain the
tenant attributes (in place when the target is the same table, copied otherwise); records
with no tenant attribute at all take their parent's; the platform registries are copied
unchanged. A legacy record belongs to tenant ``"{endpoint_id}#{endpoint_id}"``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from aace.domain.entities import (
    AGENTS,
    ASYNC_TASKS,
    COORDINATIONS,
    ELEMENTS,
    FINE_TUNING_MESSAGES,
    FLOW_SNIPPETS,
    LLMS,
    MCP_SERVERS,
    MESSAGES,
    PROMPT_TEMPLATES,
    RUNS,
    SESSION_AGENTS,
    SESSION_RUNS,
    SESSIONS,
    TASK_SCHEDULES,
    TASKS,
    THREADS,
    TOOL_CALLS,
    UI_COMPONENTS,
    WIZARD_GROUP_FILTERS,
    WIZARD_GROUPS,
    WIZARD_SCHEMAS,
    WIZARDS,
)
from aace.domain.errors import ValidationError
from aace.domain.records import from_record
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = [
    "LEGACY_TABLES",
    "LegacyTable",
    "ParentLink",
    "CopyEstimate",
    "Rekeying",
    "Treatment",
    "Unreadable",
    "estimate_copy",
    "legacy_key",
    "legacy_tenant",
    "migrated",
    "rekeyed_attributes",
    "rekeying",
    "parent_tenant",
    "parents_tenants",
    "segments_of",
    "table_named",
    "tenant_of",
]

#: The dates a record is versioned by; a legacy record must carry those its table has.
DATES = ("created_at", "updated_at")

#: DynamoDB's limit on a parallel scan's segments.
MAX_SEGMENTS = 1_000_000


class Treatment(enum.Enum):
    """What the migration does with one legacy table."""

    REKEY = "re-keyed copy"  # hashed on endpoint_id: copied into a new table
    BACKFILL = "backfill"  # kept its hash key: tenant attrs added (in place, or copied)
    REGISTRY = "copied unchanged"  # a platform registry: no tenant


@attrs.frozen
class ParentLink:
    """Where a record with no tenant attribute finds its tenant: the ``parent`` record whose
    key is the record's ``fields`` (in the parent's key order)."""

    parent: EntitySchema[Any]
    fields: tuple[str, str]

    def key_of(self, record: Mapping[str, Any]) -> EntityKey | None:
        values = [record.get(name) for name in self.fields]
        strings = tuple(v for v in values if isinstance(v, str) and v)
        return strings if len(strings) == len(values) else None


@attrs.frozen
class Unreadable:
    """A source record that could not be decoded: its key, and why (reported, not fatal)."""

    key: dict[str, Any]
    reason: str


@attrs.frozen
class LegacyTable:
    """One legacy table: its schema in the new layout, and what the migration does with it."""

    schema: EntitySchema[Any]
    treatment: Treatment
    parent: ParentLink | None = None

    @property
    def name(self) -> str:
        return self.schema.name

    @property
    def legacy_hash_key(self) -> str:
        """The legacy table's hash key: ``endpoint_id`` where the new one is the tenant."""
        return "endpoint_id" if self.treatment is Treatment.REKEY else self.schema.hash_key


_RUN = ParentLink(RUNS, ("thread_uuid", "run_uuid"))
_SESSION = ParentLink(SESSIONS, ("coordination_uuid", "session_uuid"))

#: Every legacy table, parents before the children that read them.
LEGACY_TABLES: tuple[LegacyTable, ...] = (
    *(
        LegacyTable(schema, Treatment.REKEY)
        for schema in (
            AGENTS,
            THREADS,
            PROMPT_TEMPLATES,
            FLOW_SNIPPETS,
            MCP_SERVERS,
            ELEMENTS,
            WIZARDS,
            WIZARD_GROUPS,
            WIZARD_GROUP_FILTERS,
            COORDINATIONS,
        )
    ),
    *(
        LegacyTable(schema, Treatment.BACKFILL)
        for schema in (
            RUNS,
            ASYNC_TASKS,
            FINE_TUNING_MESSAGES,
            TASKS,
            SESSIONS,
            SESSION_RUNS,
            TASK_SCHEDULES,
        )
    ),
    LegacyTable(MESSAGES, Treatment.BACKFILL, _RUN),
    LegacyTable(TOOL_CALLS, Treatment.BACKFILL, _RUN),
    LegacyTable(SESSION_AGENTS, Treatment.BACKFILL, _SESSION),
    *(LegacyTable(schema, Treatment.REGISTRY) for schema in (LLMS, UI_COMPONENTS, WIZARD_SCHEMAS)),
)

_BY_NAME = {table.name: table for table in LEGACY_TABLES}


def table_named(name: str, field: str = "tables") -> LegacyTable:
    """The legacy table with this base name; an unknown name lists the known ones."""
    found = _BY_NAME.get(name)
    if found is None:
        raise ValidationError(field, f"no legacy table {name!r} (known: {', '.join(_BY_NAME)})")
    return found


def legacy_tenant(endpoint_id: str) -> PartitionKey:
    """The tenant of a legacy record: ``PartitionKey(endpoint_id, part_id=endpoint_id)``."""
    return PartitionKey(endpoint_id, endpoint_id)


def legacy_key(table: LegacyTable, record: Mapping[str, Any]) -> dict[str, Any]:
    """The legacy record's primary key, for reports (``{hash: …, range: …}``)."""
    names = (table.legacy_hash_key, table.schema.range_key)
    return {name: record.get(name) for name in names}


def tenant_of(
    table: LegacyTable, record: Mapping[str, Any], parent: PartitionKey | None = None
) -> PartitionKey:
    """The tenant a legacy record belongs to: its own ``partition_key`` when it carries one
    (written by this package, or migrated before), else ``endpoint_id``'s legacy tenant,
    else its parent's tenant (``parent``, looked up by the caller: the parent's own
    ``partition_key``, or its legacy tenant); ``ValidationError`` when it has none of them (a
    record whose parent is gone is reported, not guessed)."""
    stored = record.get("partition_key")
    if isinstance(stored, str):
        tenant = PartitionKey.parse(stored)
        for name in ("endpoint_id", "part_id"):
            value = record.get(name)
            if value is not None and value != getattr(tenant, name):
                raise ValidationError(name, f"{value!r} disagrees with partition_key {stored!r}")
        return tenant
    endpoint = record.get("endpoint_id")
    if isinstance(endpoint, str) and endpoint:
        return legacy_tenant(endpoint)
    if parent is not None:
        return parent
    reason = "has no endpoint_id"
    if table.parent is not None:
        reason += f" and its parent in {table.parent.parent.name} was not found"
    raise ValidationError("endpoint_id", reason)


def migrated(
    table: LegacyTable, record: Mapping[str, Any], parent: PartitionKey | None = None
) -> Any:
    """The entity ``record`` becomes in the new layout (its tenant from :func:`tenant_of`);
    ``ValidationError`` says why not. Attributes the new layout does not know are refused,
    never dropped; so is a record without the dates that version it (a default of "now"
    would make every run write it anew); tenant attributes that disagree are refused."""
    schema = table.schema
    unknown = sorted(set(record) - set(schema.attribute_kinds))
    if unknown:
        raise ValidationError(unknown[0], "is not an attribute of the new layout")
    for name in DATES:
        if name in schema.attribute_kinds and record.get(name) is None:
            raise ValidationError(name, "is missing: the record cannot be dated")
    if table.treatment is Treatment.REGISTRY:
        return from_record(schema, record)
    tenant = tenant_of(table, record, parent)
    data = {**record, "partition_key": str(tenant)}
    data.setdefault("endpoint_id", tenant.endpoint_id)
    data.setdefault("part_id", tenant.part_id)
    return from_record(schema, data)


def parent_tenant(record: Mapping[str, Any]) -> PartitionKey | None:
    """The tenant a parent record passes on to its children (``None`` if it has none)."""
    stored = record.get("partition_key")
    if isinstance(stored, str):
        return PartitionKey.parse(stored)
    endpoint = record.get("endpoint_id")
    return legacy_tenant(endpoint) if isinstance(endpoint, str) and endpoint else None


def parents_tenants(found: Mapping[EntityKey, Mapping[str, Any]]) -> dict[EntityKey, PartitionKey]:
    """The tenant each parent record found passes on, by its key; a parent with no tenant,
    or whose tenant cannot be read, is left out (its children are reported)."""
    tenants: dict[EntityKey, PartitionKey] = {}
    for key, record in found.items():
        try:
            tenant = parent_tenant(record)
        except ValidationError:
            continue
        if tenant is not None:
            tenants[key] = tenant
    return tenants


@attrs.frozen
class Rekeying:
    """When a legacy record needs nothing but its tenant attributes: it was written by the
    old code (``endpoint_id``, no ``partition_key`` nor ``part_id``), holds only attributes
    of the new layout, and every attribute the new layout would write (each field without a
    ``None`` default, and the dates that version it). Such a record may skip the entity round
    trip: decoding it in the new layout gives the entity :func:`migrated` would build. Any
    other record (another writer's, incomplete, with unknown attributes) takes that round
    trip and is validated, or refused with the reason."""

    known: frozenset[str]
    required: frozenset[str]

    def applies(self, names: frozenset[str] | set[str], *, from_parent: bool = False) -> bool:
        """Whether a record with these attribute names only needs re-keying (``from_parent``:
        a child without ``endpoint_id``, whose parent's tenant is known)."""
        if "partition_key" in names or "part_id" in names or not names <= self.known:
            return False
        if from_parent:
            return "endpoint_id" not in names and self.required - {"endpoint_id"} <= names
        return self.required <= names


def rekeying(table: LegacyTable) -> Rekeying | None:
    """The :class:`Rekeying` rule of ``table`` (None for a platform registry: no tenant)."""
    if table.treatment is Treatment.REGISTRY:
        return None
    schema = table.schema
    fields = attrs.fields(schema.entity)
    required = {f.name for f in fields if f.default is not None or f.name in DATES}
    required = (required - {"partition_key", "part_id"}) | {"endpoint_id"}
    known = frozenset(schema.attribute_kinds) - {"partition_key", "part_id"}
    return Rekeying(known, frozenset(required & known | {"endpoint_id"}))


def rekeyed_attributes(endpoint_id: str) -> dict[str, str]:
    """The attributes a legacy record of ``endpoint_id`` gains: its tenant's key and part."""
    return {"partition_key": f"{endpoint_id}#{endpoint_id}", "part_id": endpoint_id}


#: Items a BatchWriteItem takes; records a bulk page holds by default.
BATCH_ITEMS, PAGE_RECORDS = 25, 100


@attrs.frozen
class CopyEstimate:
    """What copying one table costs: its write requests (BatchWriteItem of 25, or one
    request per record on the conditional path and in place), the job's own state writes (a
    tally and a checkpoint per page), the write units (one per started KB of the average
    item, times the table and each index) and, at ``max_wcu``, the minutes that takes."""

    records: int
    write_requests: int
    state_writes: int
    write_units: int
    minutes: float | None

    def as_dict(self) -> dict[str, Any]:
        return attrs.asdict(self)


def estimate_copy(
    records: int,
    size_bytes: int,
    copies: int,
    *,
    bulk: bool,
    max_wcu: float | None = None,
    page_size: int = PAGE_RECORDS,
) -> CopyEstimate:
    """The :class:`CopyEstimate` of a table of ``records`` taking ``size_bytes`` in all."""
    average = size_bytes / records if records else 0
    units = records * max(1, -(-int(average) // 1024)) * copies
    requests = -(-records // BATCH_ITEMS) if bulk else records
    minutes = units / max_wcu / 60 if max_wcu else None
    return CopyEstimate(records, requests, 2 * -(-records // page_size), units, minutes)


def segments_of(worker: int, workers: int, segments: int) -> Sequence[int]:
    """The scan segments worker ``worker`` of ``workers`` (1-based) takes: every
    ``workers``-th, so that K processes on K machines share the segments without overlap."""
    if not 1 <= segments <= MAX_SEGMENTS:
        raise ValidationError("segments", f"must be from 1 to {MAX_SEGMENTS}, got {segments}")
    if not 1 <= workers <= segments:
        raise ValidationError(
            "worker", f"K must be from 1 to --segments ({segments}), got {workers}"
        )
    if not 1 <= worker <= workers:
        raise ValidationError("worker", f"I must be from 1 to {workers}, got {worker}")
    return range(worker - 1, segments, workers)
