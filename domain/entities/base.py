"""What every stored record has: its tenant, and (for most) who changed it and when."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import attrs

from aace.domain.core_schemas import PydanticSerializer
from aace.domain.errors import ValidationError
from aace.domain.fields import timestamp
from aace.domain.schema import IndexKind, IndexSpec
from aace.domain.tenancy import PartitionKey
from aace.domain.values import check_json, check_text

__all__ = [
    "VERSION_STATUSES",
    "AuditedEntity",
    "AuditedPlatformEntity",
    "Entity",
    "WebRecord",
    "epoch_seconds",
    "flag",
    "gsi",
    "lsi",
    "status_field",
    "updated_by_field",
]

VERSION_STATUSES = ("active", "inactive")


def _tenant(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, PartitionKey):
        raise ValidationError(
            attribute.name, f"must be a PartitionKey, got {type(value).__name__}"
        )


def _updated_by(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(attribute.name, "must be a non-empty string")


def updated_by_field() -> Any:
    """Who changed the record last: a non-empty string."""
    return attrs.field(validator=_updated_by)


class WebRecord:
    """A record class that is a pydantic v2 type as it is: a route annotated ``-> Agent``
    returns its web shape (no tenant, no secrets) and the OpenAPI document describes it.
    pydantic asks for the core schema; nothing here imports pydantic
    (:mod:`aace.domain.core_schemas`). A public view of a record says which entity it shows
    with ``__aace_view_of__``. A record held where the type says ``Any`` is serialised by
    ``__pydantic_serializer__``."""

    __slots__ = ()
    __pydantic_serializer__ = PydanticSerializer()

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> dict[str, Any]:
        from aace.domain.core_schemas import record_core_schema

        return record_core_schema(cls)


@attrs.frozen(kw_only=True)
class Entity(WebRecord):
    """A stored record. ``partition_key`` is the one tenant field; adapters flatten it into
    the three tenant attributes, so they can never disagree."""

    partition_key: PartitionKey = attrs.field(validator=_tenant)


@attrs.frozen(kw_only=True)
class AuditedEntity(Entity):
    """A record with ``updated_by``, ``created_at`` and ``updated_at``."""

    updated_by: str = updated_by_field()
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()


@attrs.frozen(kw_only=True)
class AuditedPlatformEntity(WebRecord):
    """A record of a platform registry: no tenant (it belongs to the platform), with
    ``updated_by``, ``created_at`` and ``updated_at``. Its schema says ``platform=True``."""

    updated_by: str = updated_by_field()
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


def _boolean(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError(attribute.name, f"must be a boolean, got {type(value).__name__}")


def flag(*, default: bool = False) -> Any:
    """A boolean (DynamoDB ``B``) with a documented default; ``0``/``1`` are refused."""
    return attrs.field(default=default, validator=_boolean)


def _epoch_seconds(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(attribute.name, f"must be an integer, got {type(value).__name__}")
    if value < 0:
        raise ValidationError(attribute.name, "must not be negative (seconds since 1970)")
    check_json(attribute.name, value)


def epoch_seconds() -> Any:
    """Whole seconds since the Unix epoch (DynamoDB ``N``); defaults to now."""
    return attrs.field(factory=lambda: int(time.time()), validator=_epoch_seconds)


def lsi(name: str, range_key: str, hash_key: str = "partition_key") -> IndexSpec:
    return IndexSpec(name=name, hash_key=hash_key, range_key=range_key, kind=IndexKind.LOCAL)


def gsi(name: str, hash_key: str, range_key: str) -> IndexSpec:
    return IndexSpec(name=name, hash_key=hash_key, range_key=range_key, kind=IndexKind.GLOBAL)
