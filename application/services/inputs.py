"""Turning caller input into records: tenant, audit and the package's fields come from the
context and the service only; the entity's rules (:class:`EntityRules`) say how input is
stored and what a new record must be."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from aace.domain.entity_rules import EntityRules
from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.records import structure_input
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext

if TYPE_CHECKING:
    from aace.application.services.entity import ServiceSpec

__all__ = [
    "MANAGED_FIELDS",
    "built",
    "new_id",
    "new_record",
    "package_keys",
    "refuse_managed",
    "revised",
]

E = TypeVar("E")

#: Fields the package sets; a caller supplying one is refused by name.
MANAGED_FIELDS = frozenset(
    {"partition_key", "endpoint_id", "part_id", "updated_by", "created_at", "updated_at"}
)


def new_id() -> str:
    """A fresh opaque id."""
    return str(uuid.uuid4())


def refuse_managed(data: Mapping[str, Any], also: Collection[str] = ()) -> None:
    """Refuse, by name, a caller field the package sets (tenant, audit, or ``also``)."""
    for name in data:
        if name in MANAGED_FIELDS or name in also:
            raise ValidationError(name, "is set by the package, not by the caller")


def built(
    schema: EntitySchema[E],
    rules: EntityRules[E],
    data: Mapping[str, Any],
    *,
    tenant: PartitionKey | None,
    updated_by: str,
    managed: Mapping[str, Any],
    also_managed: Collection[str] = (),
) -> E:
    """A new record from caller ``data`` (normalised) and the package's fields: ``managed``
    values (keys), the ``tenant`` (``None`` for a platform record) and audit fields. A
    caller giving one of them (or of ``also_managed``) is refused by name; then the rules
    say what the new record must be."""
    refuse_managed(data, set(managed) | set(also_managed))
    values: dict[str, Any] = {**rules.normalise(data), **managed}
    if tenant is not None:
        values["partition_key"] = tenant
    names = schema.attribute_kinds
    now = utc_now()
    for name, value in (("updated_by", updated_by), ("created_at", now), ("updated_at", now)):
        if name in names:
            values[name] = value
    return rules.created(structure_input(schema.entity, values))


def revised(
    schema: EntitySchema[E], current: E, changes: Mapping[str, Any], *, updated_by: str
) -> E:
    """``current`` with ``changes`` (validated as a whole record) and fresh audit fields."""
    values = {**attrs.asdict(current, recurse=False), **changes}  # type: ignore[arg-type]
    names = schema.attribute_kinds
    if "updated_at" in names:
        values["updated_at"] = utc_now()
    if "updated_by" in names:
        values["updated_by"] = updated_by
    return structure_input(schema.entity, values)


def package_keys(spec: ServiceSpec[Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """The package's key values for a new record: every key part the caller does not give
    as a parent's (none for a natural key; ``key_from`` the data when the spec says so)."""
    schema = spec.schema
    if spec.natural_key:
        return {}
    if not schema.tenant_hashed and data.get(schema.hash_key) is None:
        raise ValidationError(schema.hash_key, f"is needed to create {schema.name}")
    if spec.key_from is not None:
        return {schema.range_key: spec.key_from(data)}
    return {schema.range_key: new_id()}


def new_record(spec: ServiceSpec[E], context: TenantContext, data: Mapping[str, Any]) -> E:
    """A new record of ``spec``'s entity for ``context``'s tenant, as ``create`` builds it
    before completing it from other records: for a service that writes records of several
    entities in one unit of work."""
    return built(
        spec.schema,
        spec.rules,
        data,
        tenant=None if spec.schema.platform else context.partition_key,
        updated_by=context.updated_by,
        managed=package_keys(spec, data),
        also_managed=spec.managed,
    )
