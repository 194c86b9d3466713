"""Valid sample entities of every schema, with fresh uuids, for contract and service tests."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

import attrs

from aace.domain.entities import ALL_SCHEMAS, PLATFORM_SCHEMAS
from aace.domain.schema import AttrKind, EntitySchema
from aace.domain.tenancy import PartitionKey

E = TypeVar("E")


def new_id() -> str:
    return str(uuid.uuid4())


def sample(schema: EntitySchema[E], tenant: PartitionKey | None, **overrides: Any) -> E:
    """An entity of ``schema`` for ``tenant``: required fields filled, ``overrides`` applied.
    A platform record has no tenant (``tenant`` is then ignored: ``None`` will do)."""
    kinds = schema.attribute_kinds
    values: dict[str, Any] = {} if schema.platform else {"partition_key": tenant}
    entity: type[Any] = schema.entity  # every schema's entity is an attrs class
    for field in attrs.fields(entity):
        name = field.name
        if name in overrides or name == "partition_key":
            continue
        if field.default is not attrs.NOTHING:
            continue
        kind = kinds[name]
        if name == "updated_by":
            values[name] = "tester"
        elif kind is AttrKind.S:
            values[name] = new_id() if name.endswith(("_uuid", "_type", "_name", "_id")) else name
        elif kind is AttrKind.N:
            values[name] = 0
        else:
            raise AssertionError(f"no sample value for {schema.name}.{name} ({kind})")
    values.update(overrides)
    return schema.entity(**values)


#: Tenant tables (the generic contract tests' subject); the platform registries are written
#: only under a PlatformContext and have tests of their own (test_platform_registries.py).
SCHEMAS = tuple(s for s in ALL_SCHEMAS if not s.platform)
PARENT_HASHED = tuple(s for s in SCHEMAS if not s.tenant_hashed)
TENANT_HASHED = tuple(s for s in SCHEMAS if s.tenant_hashed)
#: The platform registries every tenant reads (the migration tool's own state is platform-wide
#: too, but no tenant reads it: tests/migration covers it).
PLATFORM = PLATFORM_SCHEMAS
