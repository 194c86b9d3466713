"""The same small API (create, get, list with paging, health) on each framework, written
as an embedder would with the integration."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI
from litestar import Litestar, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from aace import Settings
from aace.application.request_models import request_models, to_input
from aace.application.serialization import from_json_data
from aace.contrib import fastapi as aace_fastapi
from aace.contrib import litestar as aace_litestar
from aace.contrib import starlette as aace_starlette
from aace.contrib.fastapi import AaceApp, Paging, Tenant
from aace.domain import Agent, Page
from aace.domain.query import MAX_PAGE_SIZE
from tests.contrib.serving import BearerAuth, tenant_of_user

AgentCreate = request_models("agents").create


def fastapi_app(settings: Settings) -> FastAPI:
    api = FastAPI(lifespan=aace_fastapi.lifespan(settings))
    api.add_middleware(BearerAuth)
    aace_fastapi.install(api, tenant=tenant_of_user)

    @api.post("/agents", status_code=201)
    async def create_agent(data: AgentCreate, app: AaceApp, ctx: Tenant) -> Agent:  # type: ignore[valid-type]
        return await app.agents.create(ctx, to_input(data))

    @api.post("/plain/agents", status_code=201)
    async def create_plain(app: AaceApp, ctx: Tenant, data: Annotated[Any, Body()]) -> Agent:
        return await app.agents.create(ctx, from_json_data("agents", data))

    @api.get("/agents/{agent_version_uuid}")
    async def get_agent(agent_version_uuid: str, app: AaceApp, ctx: Tenant) -> Agent:
        return await app.agents.get(ctx, agent_version_uuid)

    @api.get("/agents")
    async def list_agents(
        app: AaceApp, ctx: Tenant, paging: Paging, descending: bool = False
    ) -> Page[Agent]:
        page = await app.agents.list(
            ctx, limit=paging.limit, cursor=paging.cursor, descending=descending
        )
        return paging.respond(page)

    return api


def starlette_app(settings: Settings) -> Starlette:
    async def create_agent(request: Request) -> Response:
        app = aace_starlette.current_aace(request)
        ctx = await aace_starlette.current_tenant(request)
        data = from_json_data("agents", await request.json())
        return aace_starlette.respond(await app.agents.create(ctx, data), status_code=201)

    async def get_agent(request: Request) -> Response:
        app = aace_starlette.current_aace(request)
        ctx = await aace_starlette.current_tenant(request)
        agent = await app.agents.get(ctx, request.path_params["agent_version_uuid"])
        return aace_starlette.respond(agent)

    async def list_agents(request: Request) -> Response:
        app = aace_starlette.current_aace(request)
        ctx = await aace_starlette.current_tenant(request)
        limit, cursor = aace_starlette.page_params(request)
        page = await app.agents.list(ctx, limit=limit, cursor=cursor)
        return aace_starlette.respond(page, request)

    routes = [
        Route("/agents", create_agent, methods=["POST"]),
        Route("/agents", list_agents, methods=["GET"]),
        Route("/agents/{agent_version_uuid}", get_agent, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(BearerAuth)],
        lifespan=aace_starlette.lifespan(settings),
    )
    aace_starlette.install(app, tenant=tenant_of_user)
    return app


@post("/agents")
async def litestar_create(
    data: JSONBody[dict[str, Any]], aace: aace_litestar.AaceApp, tenant: aace_litestar.Tenant
) -> Agent:
    return await aace.agents.create(tenant, from_json_data("agents", data))


@get("/agents/{agent_version_uuid:str}")
async def litestar_get(
    agent_version_uuid: FromPath[str], aace: aace_litestar.AaceApp, tenant: aace_litestar.Tenant
) -> Agent:
    return await aace.agents.get(tenant, agent_version_uuid)


@get("/agents")
async def litestar_list(
    aace: aace_litestar.AaceApp,
    tenant: aace_litestar.Tenant,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: FromQuery[str | None] = None,
    descending: FromQuery[bool] = False,
) -> Page[Agent]:
    return await aace.agents.list(tenant, limit=limit, cursor=cursor, descending=descending)


def litestar_app(settings: Settings) -> Litestar:
    return Litestar(
        [litestar_create, litestar_get, litestar_list],
        middleware=[BearerAuth],
        plugins=[aace_litestar.AacePlugin(settings, tenant=tenant_of_user)],
    )


APPS = {"fastapi": fastapi_app, "starlette": starlette_app, "litestar": litestar_app}
