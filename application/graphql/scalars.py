"""The platform's two custom scalars: ``JSONCamelCase`` (JSON whose map keys are camelCase
on the wire and snake_case in the store, converted recursively both ways) and graphene's
``DateTime`` (ISO 8601; a naive value is read as UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import graphene
from graphql.language import ast

from aace.application.serialization import camel_case, snake_case

__all__ = ["JSONCamelCase", "as_utc", "camel_keys", "snake_keys"]

#: Keys converted: identifiers of the other convention. Anything else (``Authorization``,
#: ``X-Api-Key``, ``a b``) is the caller's text and stays as written.
_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


def camel_keys(value: Any) -> Any:
    """Stored JSON as the wire shows it: snake_case map keys to camelCase, recursively."""
    if isinstance(value, dict):
        return {
            (camel_case(k) if isinstance(k, str) and _SNAKE.match(k) else k): camel_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def snake_keys(value: Any) -> Any:
    """Wire JSON as it is stored: camelCase map keys to snake_case, recursively."""
    if isinstance(value, dict):
        return {
            (snake_case(k) if isinstance(k, str) and _CAMEL.match(k) else k): snake_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [snake_keys(item) for item in value]
    return value


def as_utc(value: datetime) -> datetime:
    """A naive datetime read as UTC (the platform sends naive ones); aware ones as given."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _literal(node: ast.ValueNode) -> Any:
    if isinstance(node, ast.StringValueNode | ast.BooleanValueNode):
        return node.value
    if isinstance(node, ast.IntValueNode):
        return int(node.value)
    if isinstance(node, ast.FloatValueNode):
        return float(node.value)
    if isinstance(node, ast.ListValueNode):
        return [_literal(item) for item in node.values]
    if isinstance(node, ast.ObjectValueNode):
        return {field.name.value: _literal(field.value) for field in node.fields}
    return None


class JSONCamelCase(graphene.Scalar):  # type: ignore[misc]
    """JSON with camelCase keys on the wire, snake_case keys in the store."""

    @staticmethod
    def serialize(value: Any) -> Any:
        return camel_keys(value)

    @staticmethod
    def parse_value(value: Any) -> Any:
        return snake_keys(value)

    @staticmethod
    def parse_literal(node: ast.ValueNode, _variables: Any = None) -> Any:
        return snake_keys(_literal(node))
