"""Litestar specifics: its own request errors in the problem shape, camelCase answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar, Response, get, post
from litestar.testing import AsyncTestClient

from aace import McpServerView, SavedWizardGroup, Settings
from aace.application.sample_records import SampleRecords
from aace.application.serialization import json_schema
from aace.contrib.litestar import (
    AaceApp,
    AacePlugin,
    Tenant,
    header_tenant,
    platform_tenant,
    respond,
)
from aace.domain import Agent, Page
from tests.contrib.apps import litestar_app, litestar_create
from tests.contrib.serving import AGENT, fresh_tenants, serving

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with serving(litestar_app(Settings(storage_url="memory://"))) as opened:
        yield opened


async def test_litestars_own_request_errors_list_every_field(client: httpx.AsyncClient) -> None:
    alice, _ = fresh_tenants()
    response = await client.get(
        "/agents", params={"limit": "lots", "descending": "maybe"}, headers=alice
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:aace:error:validation-error"
    assert sorted(e["field"] for e in problem["errors"]) == ["descending", "limit"]
    not_an_object = await client.post("/agents", json=[AGENT], headers=alice)
    assert not_an_object.status_code == 422
    assert not_an_object.json()["errors"][0]["field"] == "body"


@get("/{endpoint_id:str}/agents")
async def platform_list(aace: AaceApp, tenant: Tenant) -> Page[Agent]:
    await aace.agents.create(tenant, AGENT)
    return await aace.agents.list(tenant)


async def test_camel_case_answers_and_the_platform_preset() -> None:
    plugin = AacePlugin(Settings(storage_url="memory://"), tenant=platform_tenant(), camel=True)
    app = Litestar([platform_list], plugins=[plugin])
    async with AsyncTestClient(app) as client:
        response = await client.get("/ep-3/agents", headers={"Part-Id": "acme"})
        page: dict[str, Any] = response.json()
    assert set(page) == {"items", "nextCursor", "related"}
    (agent,) = page["items"]
    assert agent["agentName"] == AGENT["agent_name"]
    assert "partitionKey" not in agent


class PlainResponse(Response[Any]):
    """An app's own response class, knowing nothing of aace."""


@post("/views/mcp_servers")
async def create_mcp_view(aace: AaceApp, tenant: Tenant) -> McpServerView:
    return await SampleRecords(aace).create("mcp_servers", tenant)


@get("/saved")
async def saved_group(aace: AaceApp, tenant: Tenant) -> SavedWizardGroup:
    group = await SampleRecords(aace).create("wizard_groups", tenant)
    return SavedWizardGroup(group, [], [])


@post("/raw/agents")
async def create_raw(aace: AaceApp, tenant: Tenant) -> Response[Agent]:
    return Response(await aace.agents.create(tenant, AGENT), status_code=201)


@post("/helper/agents")
async def create_helper(aace: AaceApp, tenant: Tenant) -> Response[Any]:
    return respond(await aace.agents.create(tenant, AGENT), status_code=201)


@get("/pages")
async def listing(aace: AaceApp, tenant: Tenant) -> Page[Agent]:
    return await aace.agents.list(tenant, limit=1)


def _app(*, camel: bool = False, response_class: type[Response[Any]] | None = None) -> Litestar:
    plugin = AacePlugin(Settings(storage_url="memory://"), tenant=header_tenant(), camel=camel)
    handlers = [create_mcp_view, saved_group, create_raw, create_helper, listing, litestar_create]
    return Litestar(handlers, plugins=[plugin], response_class=response_class)


TENANT = {"X-Endpoint-ID": "ep-l", "X-Part-ID": "acme"}


@pytest.mark.parametrize("response_class", [None, PlainResponse], ids=["plugin", "own"])
async def test_no_record_reaches_a_client_with_its_tenant(
    response_class: type[Response[Any]] | None,
) -> None:
    async with AsyncTestClient(_app(response_class=response_class)) as client:
        view = (await client.post("/views/mcp_servers", headers=TENANT)).json()
        saved = (await client.get("/saved", headers=TENANT)).json()
        raw = await client.post("/raw/agents", headers=TENANT)
        helper = await client.post("/helper/agents", headers=TENANT)
        page = await client.get("/pages", headers=TENANT)
    assert "partition_key" not in view
    assert "headers" not in view
    assert view["created_at"].endswith("+00:00")
    assert "partition_key" not in saved["group"]
    assert saved["group"]["created_at"].endswith("+00:00")
    for answer in (raw, helper):
        assert answer.status_code == 201
        assert "partition_key" not in answer.json()
        assert answer.json()["created_at"].endswith("+00:00")
    assert "partition_key" not in page.json()["items"][0]
    assert page.headers["link"].startswith("</pages?cursor=")


async def test_the_openapi_document_describes_the_web_shape() -> None:
    async with AsyncTestClient(_app()) as client:
        document = (await client.get("/schema/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert "PartitionKey" not in schemas
    agent = schemas["Agent"]
    assert agent["properties"] == json_schema(Agent)["properties"]
    assert "partition_key" not in agent["properties"]
    assert "headers" not in schemas["McpServerView"]["properties"]
    assert "partition_key" not in schemas["McpServerView"]["properties"]
    saved = schemas["SavedWizardGroup"]["properties"]
    assert "partition_key" not in saved["group"]["properties"]
    responses = document["paths"]["/pages"]["get"]["responses"]
    page = responses["200"]["content"]["application/json"]["schema"]
    assert set(page["properties"]) == {"items", "next_cursor", "related"}
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Agent"}
    related = page["properties"]["related"]["additionalProperties"]["items"]
    assert set(related["properties"]) == {"key", "value"}
    assert related["properties"]["key"] == {"type": "array", "items": {"type": "string"}}


async def test_camel_case_reaches_the_openapi_document() -> None:
    async with AsyncTestClient(_app(camel=True)) as client:
        document = (await client.get("/schema/openapi.json")).json()
    agent = document["components"]["schemas"]["Agent"]
    assert "agentVersionUuid" in agent["properties"]
    assert "agent_version_uuid" not in agent["properties"]
    page = document["paths"]["/pages"]["get"]["responses"]["200"]["content"]
    assert set(page["application/json"]["schema"]["properties"]) == {
        "items", "nextCursor", "related"
    }  # fmt: skip


async def test_litestars_own_client_errors_are_problem_details(
    client: httpx.AsyncClient,
) -> None:
    alice, _ = fresh_tenants()
    sent = {**alice, "Content-Type": "application/json"}
    malformed = await client.post("/agents", content=b"{oops", headers=sent)
    assert malformed.status_code == 422
    assert malformed.headers["content-type"] == "application/problem+json"
    assert malformed.json()["type"] == "urn:aace:error:validation-error"
    assert [e["field"] for e in malformed.json()["errors"]] == ["body"]
    missing = await client.get("/nowhere", headers=alice)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json() == {"type": "about:blank", "title": "Not Found", "status": 404}
