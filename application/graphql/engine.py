"""The platform's engine classes over one store: ``AIAgentCoreEngine(logger, **setting)``
and ``AICoordinationEngine(logger, **setting)``. The store opens once per engine (a warm
function pays no open) on a private event loop thread, so the platform's blocking calls
(``ai_agent_core_graphql(**params)``) work from any code; each answers the platform's
``{statusCode, headers, body}`` with ``body`` the JSON text of the GraphQL response."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from types import TracebackType
from typing import Any, ClassVar

import attrs
import graphene
from anyio.from_thread import start_blocking_portal

from aace.application.facade import Aace
from aace.application.settings import Settings
from aace.domain.errors import AaceError
from aace.graphql.cost import DEFAULT_MAX_COST
from aace.graphql.documents import generate_operation
from aace.graphql.gateway import Gateway
from aace.graphql.paging import PageMemo
from aace.graphql.schema import build_agent_core_schema, build_coordination_schema

__all__ = ["AICoordinationEngine", "AIAgentCoreEngine", "envelope"]

#: Settings of the engines themselves (besides ``Settings``' field names).
ENGINE_SETTINGS = frozenset(
    {
        "endpoint_id",
        "part_id",
        "operator_policy",
        "handlers",
        "field_resolvers",
        "max_request_cost",
        "page_memo_size",
    }
)
_HEADERS = {"Content-Type": "application/json", "Access-Control-Allow-Origin": "*"}


def envelope(body: Mapping[str, Any], status: int = 200) -> dict[str, Any]:
    """The platform's response: ``{statusCode, headers, body}`` with ``body`` JSON text."""
    return {
        "statusCode": status,
        "headers": dict(_HEADERS),
        "body": json.dumps(body, ensure_ascii=False, default=str),
    }


class _Engine:
    """One opened store, one gateway per schema, the platform's entry points."""

    schemas: ClassVar[dict[str, Callable[[], graphene.Schema]]] = {
        "ai_agent_core_graphql": build_agent_core_schema,
        "ai_coordination_graphql": build_coordination_schema,
    }
    own: ClassVar[str]

    def __init__(self, logger: logging.Logger | None = None, **setting: Any) -> None:
        self.logger = logger or logging.getLogger("aace.graphql")
        known = attrs.fields_dict(Settings).keys()
        unknown = sorted(k for k in setting if k not in known and k not in ENGINE_SETTINGS)
        if unknown:
            self.logger.warning("aace.graphql ignores these settings: %s", ", ".join(unknown))
        self.setting = setting
        settings = Settings(**{k: v for k, v in setting.items() if k in known})
        self._exit = ExitStack()
        self._portal = self._exit.enter_context(start_blocking_portal())
        try:
            self.app: Aace = self._portal.call(_open, settings)
        except BaseException:
            self._exit.close()
            raise
        self._exit.callback(self._portal.call, self.app.close)
        memo = PageMemo(int(setting.get("page_memo_size", 10_000)))
        self._gateways = {
            name: Gateway(
                self.app,
                build(),
                operator_policy=setting.get("operator_policy", "all"),
                handlers=setting.get("handlers"),
                field_resolvers=setting.get("field_resolvers"),
                max_request_cost=int(setting.get("max_request_cost", DEFAULT_MAX_COST)),
                memo=memo,
            )
            for name, build in self.schemas.items()
        }

    @classmethod
    def build_graphql_schema(cls) -> graphene.Schema:
        """This engine's schema (the platform's client calls it on the class)."""
        return cls.schemas[cls.own]()

    def graphql(self, function_name: str, **params: Any) -> dict[str, Any]:
        """One GraphQL request to ``function_name``'s schema, in the platform's envelope."""
        gateway = self._gateways[function_name]
        metadata = params.get("metadata") or {}
        endpoint_id = params.get("endpoint_id") or self.setting.get("endpoint_id")
        part_id = (
            (metadata.get("part_id") if isinstance(metadata, Mapping) else None)
            or params.get("part_id")
            or self.setting.get("part_id")
        )
        context = params.get("context") or {}
        try:
            tenant = gateway.tenant(endpoint_id, part_id, context)
        except AaceError as error:
            return envelope({"errors": [{"message": str(error)}]}, 400)
        body = self._portal.call(
            _execute,
            gateway,
            params.get("query"),
            params.get("variables"),
            params.get("operation_name") or params.get("operationName"),
            tenant,
            context,
        )
        return envelope(body)

    def ping(self, **params: Any) -> dict[str, Any]:
        """``query ping {ping}`` of this engine's schema, in the envelope."""
        return self.graphql(self.own, query="query ping {ping}", **params)

    def health(self) -> Any:
        """The store's health (``Aace.ping``)."""
        return self._portal.call(self.app.ping)

    def close(self) -> None:
        """Close the store and stop the engine's loop; calling it again does nothing."""
        self._exit.close()

    def __enter__(self) -> _Engine:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _open(settings: Settings) -> Aace:
    return await Aace.open(settings)


async def _execute(
    gateway: Gateway,
    query: Any,
    variables: Any,
    operation_name: Any,
    tenant: Any,
    context: Any,
) -> dict[str, Any]:
    return await gateway.execute(query, variables, operation_name, tenant=tenant, context=context)


class AIAgentCoreEngine(_Engine):
    """The agent engine: ``ai_agent_core_graphql`` and ``ai_agent_build_graphql_query``."""

    own = "ai_agent_core_graphql"

    def ai_agent_core_graphql(self, **params: Any) -> dict[str, Any]:
        return self.graphql("ai_agent_core_graphql", **params)

    def ai_agent_build_graphql_query(
        self,
        function_name: str | None = None,
        operation_name: str | None = None,
        operation_type: str | None = None,
        **params: Any,
    ) -> dict[str, Any]:
        """The document the platform's generator builds for ``operation_name`` of the
        schema of ``function_name`` (``ai_agent_core_graphql`` or
        ``ai_coordination_graphql``), in the envelope."""
        build = self.schemas.get(function_name or "")
        if build is None:
            known = ", ".join(self.schemas)
            message = f"function_name: {function_name!r} has no schema here (known: {known})"
            return envelope({"errors": [{"message": message}]}, 400)
        try:
            query = generate_operation(str(operation_name), str(operation_type), build())
        except AaceError as error:
            return envelope({"errors": [{"message": str(error)}]}, 400)
        data = {
            "operation_name": operation_name,
            "operation_type": operation_type,
            "query": query,
        }
        return envelope({"data": data})


class AICoordinationEngine(_Engine):
    """The coordination engine: ``ai_coordination_graphql``."""

    own = "ai_coordination_graphql"

    def ai_coordination_graphql(self, **params: Any) -> dict[str, Any]:
        return self.graphql("ai_coordination_graphql", **params)
