"""What every stored record has: its tenant, and (for most) who changed it and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.fields import timestamp
from aace.domain.schema import IndexKind, IndexSpec
from aace.domain.tenancy import PartitionKey
from aace.domain.values import check_text

__all__ = ["AuditedEntity", "Entity", "VERSION_STATUSES", "gsi", "lsi", "status_field"]

VERSION_STATUSES = ("active", "inactive")


def _tenant(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, PartitionKey):
        raise ValidationError(
            attribute.name, f"must be a PartitionKey, got {type(value).__name__}"
        )


def _updated_by(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(attribute.name, "must be a non-empty string")


@attrs.frozen(kw_only=True)
class Entity:
    """A stored record. ``partition_key`` is the one tenant field; adapters flatten it into
    the three tenant attributes, so they can never disagree."""

    partition_key: PartitionKey = attrs.field(validator=_tenant)


@attrs.frozen(kw_only=True)
class AuditedEntity(Entity):
    """A record with ``updated_by``, ``created_at`` and ``updated_at``."""

    updated_by: str = attrs.field(validator=_updated_by)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


def status_field(default: str, allowed: tuple[str, ...] | None = None) -> Any:
    """A status string; ``allowed`` restricts it to a closed set."""

    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if not isinstance(value, str) or not value:
            raise ValidationError(attribute.name, "must be a non-empty string")
        if allowed is not None and value not in allowed:
            raise ValidationError(attribute.name, f"must be one of {', '.join(allowed)}")
        check_text(attribute.name, value)

    return attrs.field(default=default, validator=validate)


def lsi(name: str, range_key: str, hash_key: str = "partition_key") -> IndexSpec:
    return IndexSpec(name=name, hash_key=hash_key, range_key=range_key, kind=IndexKind.LOCAL)


def gsi(name: str, hash_key: str, range_key: str) -> IndexSpec:
    return IndexSpec(name=name, hash_key=hash_key, range_key=range_key, kind=IndexKind.GLOBAL)
