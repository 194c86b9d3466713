"""Wizard rules (services.md, "Catalogue: MCP servers and wizards"): list items of wizards
and wizard schemas are stored in one shape, whatever the caller left out; a group saved with
its wizards takes inline elements and its members from them; a wizard leaves a group it is
in."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aace.domain.entity_rules import EntityRules
from aace.domain.errors import ValidationError

__all__ = [
    "NORMALISED_LISTS",
    "WIZARD_RULES",
    "check_group_input",
    "departed",
    "inline_element",
    "normalise",
    "with_element",
    "without_wizard",
]

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


def inline_element(name: str, item: Any) -> Mapping[str, Any] | None:
    """The element a wizard's ``wizard_elements`` item (called ``name``) gives inline as
    ``{"element": {...}}``, to create or update with the wizard; ``None`` when the item
    names an existing one by ``element_uuid``."""
    if not isinstance(item, Mapping):
        raise ValidationError(name, "must be a mapping")
    inline = item.get("element")
    if inline is None:
        if item.get("element_uuid") is None:
            raise ValidationError(name, "needs an element_uuid or an inline element")
        return None
    if not isinstance(inline, Mapping):
        raise ValidationError(f"{name}.element", "must be a mapping")
    return inline


def with_element(item: Mapping[str, Any], element_uuid: str) -> dict[str, Any]:
    """A ``wizard_elements`` item whose inline element was saved as ``element_uuid``."""
    rest = {k: v for k, v in item.items() if k != "element"}
    return {**rest, "element_uuid": element_uuid}


def check_group_input(group: Mapping[str, Any]) -> None:
    """A group saved with its wizards takes its ``wizard_uuids`` from them."""
    if "wizard_uuids" in group:
        raise ValidationError("group.wizard_uuids", "is set from the wizards given")


def departed(previous: list[str] | None, members: list[str]) -> set[str]:
    """The wizards that left a group (deleted with the save)."""
    return set(previous or []) - set(members)


def without_wizard(group_uuid: str, members: list[str] | None, wizard_uuid: str) -> list[str]:
    """A group's ``wizard_uuids`` once ``wizard_uuid`` is taken out; ``ValidationError``
    when it is not in the group."""
    if wizard_uuid not in (members or []):
        raise ValidationError("wizard_uuid", f"is not in wizard group {group_uuid}")
    return [u for u in members or [] if u != wizard_uuid]


#: Wizards and wizard schemas store their list items normalised, on create and update.
WIZARD_RULES: EntityRules[Any] = EntityRules(normalise=normalise)
