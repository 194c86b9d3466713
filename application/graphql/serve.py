"""``aace serve``: both schemas over HTTP on one store (Starlette under uvicorn).
``POST /{endpoint_id}/ai_agent_core_graphql`` and ``/{endpoint_id}/ai_coordination_graphql``
take ``{query, variables, operationName}``; the tenant's part is the ``Part-Id`` header
(absent: the package's fallback rule). The answer is HTTP 200 with the GraphQL response
itself, 400 for a request that is not GraphQL; ``GET /health`` reports ``ping``. An open
port refuses registry writes (and keeps MCP credentials null) unless started as operator."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from aace.application.settings import Settings
from aace.contrib.starlette import current_aace, install, lifespan
from aace.domain.errors import AaceError
from aace.graphql.gateway import Gateway, OperatorPolicy
from aace.graphql.paging import PageMemo
from aace.graphql.schema import build_agent_core_schema, build_coordination_schema

__all__ = ["create_app", "run"]

_SCHEMAS = {
    "ai_agent_core_graphql": build_agent_core_schema,
    "ai_coordination_graphql": build_coordination_schema,
}


def _bad(message: str) -> Response:
    return JSONResponse({"errors": [{"message": message}]}, status_code=400)


def create_app(
    settings: Settings | None = None,
    *,
    operator_policy: OperatorPolicy = "none",
    handlers: Mapping[str, Callable[..., Any]] | None = None,
) -> Starlette:
    """The ASGI app: one ``Aace`` (opened by the lifespan) for both schemas."""
    memo = PageMemo()
    gateways: dict[str, Gateway] = {}

    def gateway(request: Request, function: str) -> Gateway:
        found = gateways.get(function)
        if found is None:
            found = gateways[function] = Gateway(
                current_aace(request),
                _SCHEMAS[function](),
                operator_policy=operator_policy,
                handlers=handlers,
                memo=memo,
            )
        return found

    async def graphql(request: Request) -> Response:
        function = request.url.path.rsplit("/", 1)[-1]
        try:
            payload = json.loads(await request.body())
        except ValueError:
            return _bad("the body must be JSON: {query, variables, operationName}")
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return _bad("query: a GraphQL document is required")
        variables = payload.get("variables")
        if variables is not None and not isinstance(variables, dict):
            return _bad("variables: must be a JSON object")
        serving = gateway(request, function)
        headers = {"part_id": request.headers.get("part-id")}
        try:
            tenant = serving.tenant(request.path_params["endpoint_id"], headers["part_id"])
        except AaceError as error:
            return _bad(str(error))
        body = await serving.execute(
            payload["query"],
            variables,
            payload.get("operationName"),
            tenant=tenant,
            context={"headers": dict(request.headers)},
        )
        return JSONResponse(body)

    routes = [Route(f"/{{endpoint_id}}/{name}", graphql, methods=["POST"]) for name in _SCHEMAS]
    app = Starlette(routes=routes, lifespan=lifespan(settings))
    install(app, health="/health")
    return app


def run(settings: Settings, *, host: str, port: int, operator: bool = False) -> None:
    """Serve until interrupted."""
    import uvicorn

    app = create_app(settings, operator_policy="all" if operator else "none")
    uvicorn.run(app, host=host, port=port, log_level="info")
