"""What every backend stores faithfully: the value rules all adapters share (behaviour §12).

A value one backend cannot store is refused here, on every adapter alike, naming the field:
DynamoDB's number range and precision, its empty map keys and nesting limit, and text no
backend can encode (lone surrogates).
"""

from __future__ import annotations

import math
import re

from aace.domain.errors import TooLarge, ValidationError

__all__ = [
    "MAX_FIELD_NESTING",
    "MAX_RANGE_KEY_BYTES",
    "NOT_IN_IDS",
    "check_id",
    "check_json",
    "check_text",
    "utf8_size",
]

MAX_RANGE_KEY_BYTES = 1024
#: Maps and lists a field's value may nest: DynamoDB allows 32 levels, the record itself
#: being the first.
MAX_FIELD_NESTING = 31
#: Unicode category Cc (control characters) is exactly the first two ranges; the third is
#: the surrogates, which no UTF-8 encoder accepts alone.
NOT_IN_IDS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_MAX_INTEGER = 10**38  # 38 significant digits
_MAX_MAGNITUDE = 1e126  # DynamoDB: overflow at 1E+126 …
_MIN_MAGNITUDE = 1e-130  # … underflow below 1E-130


def utf8_size(value: str) -> int:
    """The UTF-8 length of text already checked for surrogates."""
    return len(value) if value.isascii() else len(value.encode("utf-8"))


def check_text(field: str, value: str) -> None:
    """Refuse text with a lone surrogate (no backend can store it)."""
    if not value.isascii() and _SURROGATES.search(value):
        raise ValidationError(field, "must not contain lone surrogates (not valid Unicode text)")


def check_id(field: str, value: object) -> str:
    """An identifier usable as a key: a non-empty string without control characters,
    surrogates or surrounding whitespace, at most 1024 UTF-8 bytes (DynamoDB's sort-key
    limit)."""
    if not isinstance(value, str):
        raise ValidationError(field, f"must be a string, got {type(value).__name__}")
    if not value:
        raise ValidationError(field, "must not be empty")
    if value != value.strip():
        raise ValidationError(field, "must not have leading or trailing whitespace")
    if NOT_IN_IDS.search(value):
        raise ValidationError(field, "must not contain control characters or lone surrogates")
    size = utf8_size(value)
    if size > MAX_RANGE_KEY_BYTES:
        raise TooLarge(
            field,
            f"is {size} UTF-8 bytes, more than the key limit of {MAX_RANGE_KEY_BYTES}",
            limit="key size",
        )
    return value


def _check_number(field: str, value: int | float) -> None:
    if isinstance(value, int):
        if abs(value) >= _MAX_INTEGER:
            raise ValidationError(field, "number has more than 38 digits")
        return
    if not math.isfinite(value):
        raise ValidationError(field, "number must be finite")
    magnitude = abs(value)
    if magnitude >= _MAX_MAGNITUDE or 0 < magnitude < _MIN_MAGNITUDE:
        raise ValidationError(field, "number must be 0 or lie between 1e-130 and 1e126 in size")


def check_json(field: str, value: object, depth: int = 0) -> None:
    """A JSON-like value every backend stores faithfully: text without lone surrogates,
    numbers within DynamoDB's range and precision, maps with non-empty string keys, and at
    most :data:`MAX_FIELD_NESTING` levels of maps and lists."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        check_text(field, value)
        return
    if isinstance(value, (int, float)):
        _check_number(field, value)
        return
    if not isinstance(value, (dict, list)):
        raise ValidationError(field, f"holds an unsupported value of type {type(value).__name__}")
    if depth >= MAX_FIELD_NESTING:
        raise ValidationError(
            field, f"nests maps and lists more than {MAX_FIELD_NESTING} levels deep"
        )
    if isinstance(value, list):
        for index, item in enumerate(value):
            check_json(f"{field}[{index}]", item, depth + 1)
        return
    for key, item in value.items():
        if not isinstance(key, str):
            raise ValidationError(field, f"map keys must be strings, got {type(key).__name__}")
        if not key:
            raise ValidationError(field, "map keys must not be empty")
        check_text(f"{field} (a map key)", key)
        check_json(f"{field}.{key}", item, depth + 1)
