"""Key schemas and indexes described as data, once per entity.

Adapters build their tables, models and queries from these descriptions instead of
hand-writing a repository per entity per backend.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any, Generic, TypeVar

import attrs

from aace.domain.errors import ValidationError
from aace.domain.tenancy import PartitionKey, require_operator
from aace.domain.values import check_id

__all__ = [
    "TENANT_ATTRS",
    "AttrKind",
    "AttributeSpec",
    "EntityKey",
    "EntitySchema",
    "IndexKind",
    "IndexSpec",
    "TableGroup",
    "TableNames",
]

E = TypeVar("E")

#: The values of an entity's key attributes other than ``partition_key``, in key order
#: (hash then range). Tenant-hashed tables: ``(range,)``; parent-hashed: ``(hash, range)``.
EntityKey = tuple[str, ...]

TENANT_ATTRS = ("partition_key", "endpoint_id", "part_id")


class AttrKind(enum.Enum):
    """The storage kind of an attribute (storage-layout.md notation)."""

    S = "S"
    N = "N"
    B = "B"
    M = "M"
    LS = "L<S>"
    LM = "L<M>"
    DT = "DT"


class IndexKind(enum.Enum):
    LOCAL = "local"
    GLOBAL = "global"


class TableGroup(enum.Enum):
    """Which engine's table prefix a table takes."""

    AGENT = "agent"
    COORDINATION = "coordination"


@attrs.frozen
class IndexSpec:
    """A secondary index: its deployed name and keys. Every index projects all attributes."""

    name: str
    hash_key: str
    range_key: str
    kind: IndexKind = IndexKind.LOCAL


@attrs.frozen
class AttributeSpec:
    name: str
    kind: AttrKind
    nullable: bool


def _kind_of(hint: Any) -> tuple[AttrKind, bool]:
    nullable = False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(hint))
        (hint,) = args
        origin = typing.get_origin(hint)
    if hint is str:
        return AttrKind.S, nullable
    if hint in (int, float):
        return AttrKind.N, nullable
    if hint is bool:
        return AttrKind.B, nullable
    if hint is datetime:
        return AttrKind.DT, nullable
    if origin is dict:
        return AttrKind.M, nullable
    if origin is list:
        (item,) = typing.get_args(hint)
        return (AttrKind.LS if item is str else AttrKind.LM), nullable
    raise TypeError(f"no storage kind for {hint!r}")


@attrs.frozen
class EntitySchema(Generic[E]):
    """Where and how one entity is stored.

    ``name`` is the table's base name (``agents``); the full table name comes from
    :class:`TableNames`. ``hash_key`` is ``partition_key`` for tenant tables, or the parent's
    uuid for tables hashed on a parent (the adapter then checks ``partition_key`` itself).
    ``secrets`` name the attributes that hold credentials: stored as given, returned by
    explicit reads, never shown in logs or errors (adapters redact them where they can).
    ``platform`` marks a platform registry: its records belong to the platform, not to a
    tenant (no tenant attributes; every tenant reads them, only a ``PlatformContext`` writes
    them, see :mod:`domain.unit_of_work`). ``operator_only`` marks a platform table that only
    operator mode reads too (the migration tool's state): every key check and listing of it
    is ``Forbidden`` outside ``as_operator``.
    """

    name: str
    entity: type[E]
    group: TableGroup
    hash_key: str
    range_key: str
    indexes: tuple[IndexSpec, ...] = ()
    secrets: frozenset[str] = attrs.field(default=frozenset())
    platform: bool = attrs.field(default=False, kw_only=True)
    operator_only: bool = attrs.field(default=False, kw_only=True)

    @operator_only.validator
    def _check_operator_only(self, _: attrs.Attribute[bool], operator_only: bool) -> None:
        if operator_only and not self.platform:
            raise ValueError(f"{self.name}: only a platform table is the operator's alone")

    def check_reader(self) -> None:
        """Refuse (``Forbidden``) a read of an operator-only table outside operator mode."""
        if self.operator_only:
            require_operator(f"reading {self.name}, the operator's alone,")

    @platform.validator
    def _check_platform(self, _: attrs.Attribute[bool], platform: bool) -> None:
        tenanted = "partition_key" in attrs.fields_dict(self.entity)  # type: ignore[arg-type]
        if platform and (tenanted or self.tenant_hashed):
            raise ValueError(f"platform table {self.name} must not have a tenant key")
        if not platform and not tenanted:
            raise ValueError(f"{self.name} has no partition_key: declare it platform=True")

    @secrets.validator
    def _check_secrets(self, _: attrs.Attribute[frozenset[str]], names: frozenset[str]) -> None:
        unknown = names - attrs.fields_dict(self.entity).keys()  # type: ignore[arg-type]
        if unknown:
            raise ValueError(f"{self.name} has no attributes {sorted(unknown)} to keep secret")

    @property
    def tenant_hashed(self) -> bool:
        """True when the table's hash key is the tenant itself."""
        return self.hash_key == "partition_key"

    def visible_to(self, tenant: PartitionKey, stored_partition_key: object) -> bool:
        """Whether a stored record whose ``partition_key`` is ``stored_partition_key`` is
        ``tenant``'s own: the one rule every adapter reads by (a platform registry's records
        are every tenant's)."""
        return self.platform or stored_partition_key == str(tenant)

    @property
    def tenant_checked(self) -> bool:
        """True when the adapter must check each record's ``partition_key`` against the
        caller's tenant (a table hashed on a parent uuid); never for platform tables."""
        return not self.tenant_hashed and not self.platform

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The names behind :data:`EntityKey` (key attributes other than ``partition_key``)."""
        if self.tenant_hashed:
            return (self.range_key,)
        return (self.hash_key, self.range_key)

    def index(self, name: str | None) -> IndexSpec | None:
        """The named index, ``None`` for the table itself; unknown names are refused."""
        if name is None:
            return None
        for spec in self.indexes:
            if spec.name == name:
                return spec
        known = ", ".join(i.name for i in self.indexes) or "none"
        raise ValidationError("index", f"{self.name} has no index {name!r} (known: {known})")

    def check_key(self, key: object) -> EntityKey:
        """Refuse a malformed key, naming the key field at fault (and any key of an
        operator-only table outside operator mode)."""
        self.check_reader()
        fields = self.key_fields
        if not isinstance(key, tuple) or len(key) != len(fields):
            raise ValidationError(
                "key", f"{self.name} keys are tuples of ({', '.join(fields)}), got {key!r}"
            )
        for name, value in zip(fields, key, strict=True):
            check_id(name, value)
        return key

    def key_of(self, entity: E) -> EntityKey:
        return tuple(getattr(entity, f) for f in self.key_fields)

    def key_of_record(self, record: Mapping[str, Any]) -> EntityKey:
        return tuple(record[f] for f in self.key_fields)

    def order_fields(self, index: IndexSpec | None) -> tuple[str, ...]:
        """The attributes a listing on ``index`` sorts by: the range attribute first, then the
        table's own key attributes as tiebreakers. They are also what a cursor holds."""
        hash_attr = index.hash_key if index else self.hash_key
        range_attr = index.range_key if index else self.range_key
        tiebreak = tuple(f for f in self.key_fields if f not in (hash_attr, range_attr))
        return (range_attr, *tiebreak)

    @cached_property
    def attributes(self) -> tuple[AttributeSpec, ...]:
        """Every stored attribute with its kind, derived from the entity's annotations."""
        hints = typing.get_type_hints(self.entity)
        specs: list[AttributeSpec] = []
        for field in attrs.fields(self.entity):  # type: ignore[arg-type]
            hint = hints[field.name]
            if hint is PartitionKey:
                specs.extend(AttributeSpec(n, AttrKind.S, False) for n in TENANT_ATTRS)
                continue
            kind, nullable = _kind_of(hint)
            specs.append(AttributeSpec(field.name, kind, nullable))
        return tuple(specs)

    @cached_property
    def version_field(self) -> str:
        """The datetime attribute that dates a record's last change: ``updated_at``, or
        ``created_at`` on tables whose records never change (threads). Newer-wins writes
        (``Condition.not_newer``) compare it."""
        names = {spec.name for spec in self.attributes}
        return "updated_at" if "updated_at" in names else "created_at"

    @cached_property
    def attribute_kinds(self) -> dict[str, AttrKind]:
        return {spec.name: spec.kind for spec in self.attributes}


@attrs.frozen
class TableNames:
    """Table naming: a prefix per engine, or a full name per table in ``overrides``."""

    agent_prefix: str = "aace-"
    coordination_prefix: str = "ace-"
    overrides: Mapping[str, str] = attrs.field(factory=dict)

    def __call__(self, schema: EntitySchema[Any]) -> str:
        if schema.name in self.overrides:
            return self.overrides[schema.name]
        prefix = (
            self.agent_prefix if schema.group is TableGroup.AGENT else self.coordination_prefix
        )
        return f"{prefix}{schema.name}"
