"""Turning caller input into entities: tenant and audit fields come from the context only."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, TypeVar

import attrs

from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.records import structure_input
from aace.domain.tenancy import TenantContext

__all__ = ["MANAGED_FIELDS", "build_entity", "refuse_managed"]

E = TypeVar("E")

#: Fields the package sets; a caller supplying one is refused by name.
MANAGED_FIELDS = frozenset(
    {"partition_key", "endpoint_id", "part_id", "updated_by", "created_at", "updated_at"}
)


def refuse_managed(data: Mapping[str, Any], also: Collection[str] = ()) -> None:
    """Refuse, by name, a caller field the package sets (tenant, audit, or ``also``)."""
    for name in data:
        if name in MANAGED_FIELDS or name in also:
            raise ValidationError(name, "is set by the package, not by the caller")


def build_entity(
    entity: type[E],
    context: TenantContext,
    data: Mapping[str, Any],
    *,
    managed: Mapping[str, Any] | None = None,
) -> E:
    """An entity from caller ``data`` plus the package-managed fields (ids, status, tenant,
    who and when). Unknown, managed or mistyped fields raise ``ValidationError`` by name."""
    if not isinstance(data, Mapping):
        raise ValidationError(entity.__name__, "input must be a mapping")
    refuse_managed(data, managed or {})
    names = {f.name for f in attrs.fields(entity)}  # type: ignore[arg-type]
    now = utc_now()
    values: dict[str, Any] = {**data, **(managed or {}), "partition_key": context.partition_key}
    for name, value in (
        ("updated_by", context.updated_by),
        ("created_at", now),
        ("updated_at", now),
    ):
        if name in names:
            values[name] = value
    return structure_input(entity, values)
