"""Wizard normalisation (services.md, "Wizards"): list items of wizards and wizard schemas
are stored in one shape, whatever the caller left out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aace.domain.errors import ValidationError

__all__ = ["NORMALISED_LISTS", "normalise"]

_REQUIRED = object()

#: For each list field: the item keys, with their defaults (``_REQUIRED``: the caller's).
NORMALISED_LISTS: dict[str, dict[str, Any]] = {
    "wizard_attributes": {"name": _REQUIRED, "value": None},
    "wizard_elements": {"element_uuid": _REQUIRED, "required": False, "placeholder": None},
    "attributes": {
        "name": _REQUIRED,
        "attribute_type": _REQUIRED,
        "required": False,
        "options": [],
        "pattern": "",
        "col": "",
        "label": "",
        "group_name": "",
    },
    "attribute_groups": {"name": _REQUIRED, "label": ""},
}


def _item(field: str, position: int, item: Any, shape: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ValidationError(f"{field}[{position}]", "must be a mapping")
    normal = {}
    for key, default in shape.items():
        if key in item and item[key] is not None:
            normal[key] = item[key]
        elif default is _REQUIRED:
            raise ValidationError(f"{field}[{position}].{key}", "is required")
        else:
            normal[key] = list(default) if isinstance(default, list) else default
    return normal


def normalise(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with each normalised list field in its stored shape (keys outside the
    shape are dropped; missing optional keys get their defaults)."""
    result = dict(data)
    for field, shape in NORMALISED_LISTS.items():
        items = result.get(field)
        if items is None:
            continue
        if isinstance(items, str | bytes | Mapping) or not isinstance(items, list | tuple):
            raise ValidationError(field, "must be a list of mappings")
        result[field] = [_item(field, i, item, shape) for i, item in enumerate(items)]
    return result
