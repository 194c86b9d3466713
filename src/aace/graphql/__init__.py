"""The platform's GraphQL API, unchanged, on any store (extra ``graphql``: graphene 3).

``build_agent_core_schema()`` / ``build_coordination_schema()`` give the platform's two
schemas as ``graphene.Schema`` objects, generated from the entity schemas and service specs;
``AIAgentCoreEngine`` / ``AICoordinationEngine`` are the platform's engine classes over one
opened store (docs/graphql.md).

The modules live in ``aace/application/graphql/`` (the application layer, whose import
contracts they follow); this package is their one name. Its path is computed from this
file, so it holds in a checkout and in an installed wheel alike.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

__path__ = [str(Path(__file__).parent.parent / "application" / "graphql")]

if TYPE_CHECKING:
    from aace.application.graphql.documents import generate_operation
    from aace.application.graphql.engine import AIAgentCoreEngine, AICoordinationEngine
    from aace.application.graphql.schema import (
        build_agent_core_schema,
        build_coordination_schema,
    )

#: Where each name lives (imported on first use: graphene loads only when asked for).
_LAZY = {
    "AIAgentCoreEngine": "engine",
    "AICoordinationEngine": "engine",
    "build_agent_core_schema": "schema",
    "build_coordination_schema": "schema",
    "generate_operation": "documents",
}

__all__ = [
    "AIAgentCoreEngine",
    "AICoordinationEngine",
    "build_agent_core_schema",
    "build_coordination_schema",
    "generate_operation",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aace.graphql' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"aace.graphql.{module}"), name)
    globals()[name] = value
    return value
