"""FastAPI specifics: its own request errors and the services' errors are one problem
shape, its OpenAPI document describes the routes, and the header preset."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder

from aace import Aace, Settings, TenantContext
from aace.application.serialization import to_json_data
from aace.contrib.fastapi import AaceApp, Paging, Tenant, header_tenant, install, lifespan
from aace.domain import Agent, Page
from tests.contrib.apps import fastapi_app
from tests.contrib.serving import AGENT, BAD_AGENT, fresh_tenants, serving

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(fastapi_app(Settings(storage_url="memory://"))) as opened:
        yield opened


async def test_request_model_errors_and_service_errors_are_one_shape(
    client: httpx.AsyncClient,
) -> None:
    alice, _ = fresh_tenants()
    framework = await client.post("/agents", json=BAD_AGENT, headers=alice)
    service = await client.post("/plain/agents", json=BAD_AGENT, headers=alice)
    assert framework.status_code == service.status_code == 422
    assert framework.headers["content-type"] == service.headers["content-type"]
    mine, theirs = framework.json(), service.json()
    assert mine.keys() == theirs.keys() == {"type", "title", "status", "detail", "errors"}
    assert mine["type"] == theirs["type"] == "urn:aace:error:validation-error"
    fields = [e["field"] for e in mine["errors"]]
    assert sorted(fields) == sorted(e["field"] for e in theirs["errors"])
    assert len(fields) == 4


async def test_a_body_that_is_not_json_is_a_422_naming_the_body(
    client: httpx.AsyncClient,
) -> None:
    alice, _ = fresh_tenants()
    sent = {**alice, "Content-Type": "application/json"}
    response = await client.post("/agents", content=b"{oops", headers=sent)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body", "message": "JSON decode error"}]


async def test_fastapis_own_query_errors_list_every_field(client: httpx.AsyncClient) -> None:
    alice, _ = fresh_tenants()
    response = await client.get(
        "/agents", params={"limit": 0, "descending": "maybe"}, headers=alice
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["limit", "descending"]


async def test_the_openapi_document_describes_records_pages_and_paging(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    agent = document["components"]["schemas"]["Agent"]
    assert "partition_key" not in agent["properties"]
    listing = document["paths"]["/agents"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"limit", "cursor", "descending"}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Agent"}
    assert "/health" not in document["paths"]


async def test_the_header_preset_is_for_a_trusted_gateway() -> None:
    api = FastAPI(lifespan=lifespan(Settings(storage_url="memory://")))
    install(api, tenant=header_tenant(part_header="X-Tenant", actor_header="X-User"))

    @api.get("/whoami")
    async def whoami(app: AaceApp, ctx: Tenant) -> dict[str, str]:
        return {"tenant": str(ctx.partition_key), "who": ctx.updated_by}

    async with serving(api) as client:
        sent = {"X-Endpoint-ID": "ep-2", "X-Tenant": "acme", "X-User": "gateway"}
        assert (await client.get("/whoami", headers=sent)).json() == {
            "tenant": "ep-2#acme",
            "who": "gateway",
        }
        missing = await client.get("/whoami")
        assert missing.status_code == 400
        assert missing.json()["errors"] == [{"field": "endpoint_id", "message": "is required"}]


def _typed_and_plain_routes(camel: bool) -> FastAPI:
    """Routes annotated with records and pages, and routes that annotate nothing."""
    api = FastAPI(lifespan=lifespan(Settings(storage_url="memory://")))
    install(api, tenant=header_tenant(), camel=camel)

    @api.post("/agents", status_code=201)
    async def create(app: AaceApp, ctx: Tenant) -> Agent:
        return await app.agents.create(ctx, AGENT)

    @api.get("/agents")
    async def listing(app: AaceApp, ctx: Tenant, paging: Paging) -> Page[Agent]:
        return paging.respond(await app.agents.list(ctx, limit=paging.limit))

    @api.post("/plain/agents", status_code=201)
    async def create_plain(app: AaceApp, ctx: Tenant):
        return await app.agents.create(ctx, AGENT)

    @api.get("/plain/agents")
    async def listing_plain(app: AaceApp, ctx: Tenant):
        page = await app.agents.list(ctx)
        return {"page": page, "first": page.items[0]}

    return api


async def test_camel_case_reaches_typed_routes_and_the_openapi_document() -> None:
    tenant = {"X-Endpoint-ID": "ep-camel", "X-Part-ID": "acme"}
    async with serving(_typed_and_plain_routes(camel=True)) as client:
        created = (await client.post("/agents", headers=tenant)).json()
        page = (await client.get("/agents", params={"limit": 1}, headers=tenant)).json()
        plain = (await client.post("/plain/agents", headers=tenant)).json()
        document = (await client.get("/openapi.json")).json()
    assert created["agentName"] == AGENT["agent_name"]
    assert "agent_name" not in created
    assert "partitionKey" not in created
    assert set(page) == {"items", "nextCursor", "related"}
    assert page["items"][0]["agentVersionUuid"]
    assert plain["agentName"] == AGENT["agent_name"]
    agent = document["components"]["schemas"]["Agent"]
    assert "agentVersionUuid" in agent["properties"]
    assert "agent_version_uuid" not in agent["properties"]
    listing = document["paths"]["/agents"]["get"]["responses"]["200"]["content"]
    assert set(listing["application/json"]["schema"]["properties"]) == set(page)


async def test_unannotated_routes_and_jsonable_encoder_give_the_web_shape() -> None:
    tenant = {"X-Endpoint-ID": "ep-plain", "X-Part-ID": "acme"}
    async with serving(_typed_and_plain_routes(camel=False)) as client:
        created = await client.post("/plain/agents", headers=tenant)
        listed = await client.get("/plain/agents", headers=tenant)
    assert created.status_code == 201, created.text
    assert "partition_key" not in created.json()
    assert created.json()["agent_name"] == AGENT["agent_name"]
    assert listed.json()["first"] == created.json()
    assert listed.json()["page"]["items"] == [created.json()]
    assert created.json()["created_at"].endswith("+00:00")
    async with Aace.open(Settings(storage_url="memory://")) as app:
        ctx = TenantContext.from_request("ep-1", "acme", updated_by="me")
        agent = await app.agents.create(ctx, AGENT)
        assert jsonable_encoder(agent) == to_json_data(agent)
        assert jsonable_encoder({"page": Page([agent])}) == {"page": to_json_data(Page([agent]))}


async def test_the_openapi_document_describes_problem_responses(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    problem = schemas["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
    ref = {"$ref": "#/components/schemas/Problem"}
    create = document["paths"]["/agents"]["post"]["responses"]
    assert create["422"]["content"] == {"application/problem+json": {"schema": ref}}
    assert create["4XX"]["content"] == {"application/problem+json": {"schema": ref}}
    assert "HTTPValidationError" not in str(document)
