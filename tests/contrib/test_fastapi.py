"""FastAPI specifics: its own request errors and the services' errors are one problem
shape, its OpenAPI document describes the routes, and the header preset."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from aace import Settings
from aace.contrib.fastapi import AaceApp, Tenant, header_tenant, install, lifespan
from tests.contrib.apps import fastapi_app
from tests.contrib.serving import BAD_AGENT, fresh_tenants, serving

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
