"""Litestar specifics: its own request errors in the problem shape, camelCase answers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from litestar import Litestar, get
from litestar.testing import AsyncTestClient

from aace import Settings
from aace.contrib.litestar import AaceApp, AacePlugin, Tenant, platform_tenant
from aace.domain import Agent, Page
from tests.contrib.apps import litestar_app
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
