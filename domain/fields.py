"""Field definitions shared by every entity: each validator raises ``ValidationError`` naming
the field, so bad input is refused at construction, before any adapter sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.values import check_id, check_json, check_text

__all__ = [
    "JsonList",
    "JsonMap",
    "id_field",
    "integer",
    "json_list",
    "json_map",
    "number",
    "optional_id",
    "optional_number",
    "optional_text",
    "string_list",
    "text",
    "timestamp",
    "utc_now",
]

JsonMap = dict[str, Any]
JsonList = list[dict[str, Any]]


def utc_now() -> datetime:
    """The current time, UTC, at the microsecond precision every backend keeps."""
    return datetime.now(UTC)


def _id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    check_id(attribute.name, value)


def _optional_id(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        check_id(attribute.name, value)


def _text_validator(nonblank: bool, optional: bool) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            raise ValidationError(attribute.name, f"must be a string, got {type(value).__name__}")
        if nonblank and not value.strip():
            raise ValidationError(attribute.name, "must not be blank")
        check_text(attribute.name, value)

    return validate


def _integer(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(attribute.name, f"must be an integer, got {type(value).__name__}")
    check_json(attribute.name, value)


def _number_validator(optional: bool) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError(attribute.name, f"must be a number, got {type(value).__name__}")
        check_json(attribute.name, value)

    return validate


def _json_map_validator(optional: bool) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, dict):
            raise ValidationError(attribute.name, f"must be a map, got {type(value).__name__}")
        check_json(attribute.name, value)

    return validate


def _list_validator(item_type: type, optional: bool) -> Any:
    def validate(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        if not isinstance(value, list):
            raise ValidationError(attribute.name, f"must be a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            if not isinstance(item, item_type):
                raise ValidationError(
                    f"{attribute.name}[{index}]",
                    f"must be a {item_type.__name__}, got {type(item).__name__}",
                )
        check_json(attribute.name, value)

    return validate


def _timestamp(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, datetime):
        raise ValidationError(attribute.name, f"must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(attribute.name, "must be timezone-aware")


def _to_utc(value: object) -> object:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


def id_field(**kwargs: Any) -> Any:
    """A required identifier (key rules of :func:`check_id`)."""
    return attrs.field(validator=_id, **kwargs)


def optional_id(**kwargs: Any) -> Any:
    """An optional identifier; when present it follows the key rules (it may index)."""
    return attrs.field(default=None, validator=_optional_id, **kwargs)


def text(*, nonblank: bool = False, **kwargs: Any) -> Any:
    """A required string; ``nonblank`` refuses empty or all-whitespace values."""
    return attrs.field(validator=_text_validator(nonblank, optional=False), **kwargs)


def optional_text(**kwargs: Any) -> Any:
    """An optional string (``None`` when absent)."""
    return attrs.field(default=None, validator=_text_validator(False, optional=True), **kwargs)


def integer(*, default: int = 0) -> Any:
    """A whole number with a documented default."""
    return attrs.field(default=default, validator=_integer)


def number(*, default: float = 0) -> Any:
    """A required number (int or float)."""
    return attrs.field(default=default, validator=_number_validator(optional=False))


def optional_number() -> Any:
    """An optional number (``None`` when absent)."""
    return attrs.field(default=None, validator=_number_validator(optional=True))


def json_map(*, optional: bool = False, default: Any = attrs.NOTHING) -> Any:
    """A JSON-like map (DynamoDB ``M``)."""
    if default is attrs.NOTHING and not optional:
        return attrs.field(factory=dict, validator=_json_map_validator(optional))
    return attrs.field(default=default, validator=_json_map_validator(optional))


def json_list(*, optional: bool = False) -> Any:
    """A list of JSON-like maps (DynamoDB ``L<M>``)."""
    if optional:
        return attrs.field(default=None, validator=_list_validator(dict, optional=True))
    return attrs.field(factory=list, validator=_list_validator(dict, optional=False))


def string_list(*, optional: bool = True) -> Any:
    """A list of strings (DynamoDB ``L<S>``)."""
    if optional:
        return attrs.field(default=None, validator=_list_validator(str, optional=True))
    return attrs.field(factory=list, validator=_list_validator(str, optional=False))


def timestamp(**kwargs: Any) -> Any:
    """A timezone-aware datetime, normalised to UTC; defaults to now."""
    kwargs.setdefault("factory", utc_now)
    return attrs.field(converter=_to_utc, validator=_timestamp, **kwargs)
