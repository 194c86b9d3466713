"""Each framework integration over real HTTP (uvicorn on a loopback port, the app's own
lifespan): create, get, list with paging, tenant isolation, every bad field in one 422
problem, and the health route."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("litestar")
pytest.importorskip("uvicorn")

from aace import Settings
from aace.application.problems import MEDIA_TYPE
from tests.contrib.apps import APPS
from tests.contrib.serving import AGENT, BAD_AGENT, fresh_tenants, serving

pytestmark = pytest.mark.anyio
Headers = dict[str, str]


@pytest.fixture(scope="module", params=sorted(APPS))
async def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    """One server per framework over one SQLite store; tests use tenants of their own."""
    build: Callable[[Settings], Any] = APPS[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    settings = Settings(storage_url=f"sqlite:///{folder / 'web.db'}")
    async with serving(build(settings)) as opened:
        yield opened


@pytest.fixture
def alice() -> dict[str, str]:
    """A signed-in user of a new tenant."""
    return fresh_tenants()[0]


@pytest.fixture
def bob() -> dict[str, str]:
    """A signed-in user of another new tenant."""
    return fresh_tenants()[1]


async def _create(client: httpx.AsyncClient, name: str, headers: dict[str, str]) -> dict[str, Any]:
    response = await client.post("/agents", json={**AGENT, "agent_name": name}, headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_created_record_is_read_back_in_the_web_shape(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    created = await _create(client, "Support", alice)
    assert created["agent_name"] == "Support"
    assert created["updated_by"] == "alice"
    assert not {"partition_key", "endpoint_id", "part_id"} & set(created)
    response = await client.get(f"/agents/{created['agent_version_uuid']}", headers=alice)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == created


async def test_a_listing_pages_with_the_cursor_and_a_link(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    names = {(await _create(client, f"A{n}", alice))["agent_name"] for n in range(3)}
    first = await client.get("/agents", params={"limit": 2}, headers=alice)
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["items"]) == 2
    assert body["next_cursor"]
    assert body["related"] == {}
    link = first.headers["link"]
    assert link.endswith('>; rel="next"')
    target = link[1 : link.index(">")]
    assert target.startswith("/agents?")
    assert "limit=2" in target
    second = await client.get(target, headers=alice)
    assert second.status_code == 200
    rest = second.json()
    assert rest["next_cursor"] is None
    assert "link" not in second.headers
    assert {item["agent_name"] for item in body["items"] + rest["items"]} == names


async def test_another_tenants_record_is_not_found(
    client: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    created = await _create(client, "Private", alice)
    response = await client.get(f"/agents/{created['agent_version_uuid']}", headers=bob)
    assert response.status_code == 404
    assert response.headers["content-type"] == MEDIA_TYPE
    assert response.json()["type"] == "urn:aace:error:not-found"
    assert "Private" not in response.text
    listed = (await client.get("/agents", headers=bob)).json()
    assert listed["items"] == []


async def test_every_bad_field_is_in_one_422_problem(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.post("/agents", json=BAD_AGENT, headers=alice)
    assert response.status_code == 422
    assert response.headers["content-type"] == MEDIA_TYPE
    problem = response.json()
    assert problem["type"] == "urn:aace:error:validation-error"
    assert problem["status"] == 422
    fields = [error["field"] for error in problem["errors"]]
    assert set(fields) == {"agent_name", "llm_provider", "llm_name", "bogus"}
    assert problem["detail"].startswith("4 invalid fields")
    assert (await client.get("/agents", headers=alice)).json()["items"] == []


async def test_a_bad_page_size_is_a_422_problem_naming_it(
    client: httpx.AsyncClient, alice: Headers
) -> None:
    response = await client.get("/agents", params={"limit": "lots"}, headers=alice)
    assert response.status_code == 422
    assert response.headers["content-type"] == MEDIA_TYPE
    assert [error["field"] for error in response.json()["errors"]] == ["limit"]


async def test_a_cursor_of_another_tenant_is_a_400_problem(
    client: httpx.AsyncClient, alice: Headers, bob: Headers
) -> None:
    for n in range(2):
        await _create(client, f"A{n}", alice)
    cursor = (await client.get("/agents", params={"limit": 1}, headers=alice)).json()
    response = await client.get(
        "/agents", params={"limit": 1, "cursor": cursor["next_cursor"]}, headers=bob
    )
    assert response.status_code == 400
    assert response.json()["type"] == "urn:aace:error:invalid-cursor"


async def test_no_principal_is_forbidden(client: httpx.AsyncClient) -> None:
    response = await client.get("/agents")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:aace:error:forbidden"


async def test_the_health_route_pings_the_store(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["ok"] is True
    assert health["store"]["ok"] is True
    assert health["store"]["seconds"] >= 0
    assert "detail" not in health["store"]
    assert health["cache"] is None
