"""The Lambda handler decorator with real API Gateway events (REST API 1.0, HTTP API 2.0)
and a Lambda context: one Aace per warm container, the tenant from the authorizer's claims
(or a gateway preset), records, pages and problems as API Gateway responses, and stacking
under Powertools' Logger and Tracer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from aace import Aace, BlockingAace, Settings
from aace.application.problems import MEDIA_TYPE
from aace.application.serialization import from_json_data
from aace.contrib.aws_lambda import (
    LambdaHandler,
    LambdaRequest,
    claims_tenant,
    handler,
    header_tenant,
    platform_tenant,
)
from tests.contrib.events import LambdaContext, cognito, http_event, jwt, rest_event
from tests.contrib.serving import AGENT, BAD_AGENT

ALICE = {"sub": "alice", "endpoint_id": "ep-1", "part_id": "acme"}
BOB = {"sub": "bob", "endpoint_id": "ep-1", "part_id": "globex"}


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(storage_url=f"sqlite:///{tmp_path_factory.mktemp('lambda') / 'aace.db'}")


def _agents(request: LambdaRequest[Aace]) -> Any:
    """One function for the agents API, routed on the method and path parameters."""
    app, ctx = request.app, request.tenant
    if request.method == "POST":
        data = from_json_data("agents", request.json())

        async def create() -> Any:
            return request.respond(await app.agents.create(ctx, data), status=201)

        return create()
    if "agent_version_uuid" in request.path_parameters:
        return app.agents.get(ctx, request.path_parameters["agent_version_uuid"])
    limit, cursor = request.page_params()
    return app.agents.list(ctx, limit=limit, cursor=cursor)


@pytest.fixture(scope="module")
def agents(settings: Settings) -> Iterator[LambdaHandler]:
    """The container's handler, kept warm across the module's invocations."""

    @handler(settings=settings, tenant=claims_tenant())
    async def agents(request: LambdaRequest[Aace]) -> Any:
        return await _agents(request)

    yield agents
    agents.close()


def _body(response: dict[str, Any]) -> Any:
    assert response["isBase64Encoded"] is False
    return json.loads(response["body"])


def _create(agents: LambdaHandler, name: str, claims: dict[str, str]) -> dict[str, Any]:
    event = rest_event(
        "POST", "/agents", authorizer=cognito(claims), body={**AGENT, "agent_name": name}
    )
    response = agents(event, LambdaContext())
    assert response["statusCode"] == 201, response
    assert response["headers"]["Content-Type"] == "application/json"
    created: dict[str, Any] = _body(response)
    return created


def _get(agents: LambdaHandler, uuid: str, claims: dict[str, str]) -> dict[str, Any]:
    event = http_event(
        "GET",
        f"/agents/{uuid}",
        route_key="GET /agents/{agent_version_uuid}",
        authorizer=jwt(claims),
        path_parameters={"agent_version_uuid": uuid},
    )
    return agents(event, LambdaContext())


def test_create_on_rest_api_then_get_on_http_api(agents: LambdaHandler) -> None:
    created = _create(agents, "Support", ALICE)
    assert created["updated_by"] == "alice"
    assert not {"partition_key", "endpoint_id", "part_id"} & set(created)
    response = _get(agents, created["agent_version_uuid"], ALICE)
    assert response["statusCode"] == 200
    assert _body(response) == created


def test_another_tenants_record_is_a_404_problem(agents: LambdaHandler) -> None:
    created = _create(agents, "Private", ALICE)
    response = _get(agents, created["agent_version_uuid"], BOB)
    assert response["statusCode"] == 404
    assert response["headers"]["Content-Type"] == MEDIA_TYPE
    assert _body(response)["type"] == "urn:aace:error:not-found"
    assert "Private" not in response["body"]


def test_a_listing_pages_with_the_cursor_and_a_link(agents: LambdaHandler) -> None:
    claims = {**ALICE, "part_id": "paging"}
    names = {_create(agents, f"A{n}", claims)["agent_name"] for n in range(3)}
    first = agents(
        http_event("GET", "/agents", authorizer=jwt(claims), query={"limit": "2"}),
        LambdaContext(),
    )
    page = _body(first)
    assert len(page["items"]) == 2
    link = first["headers"]["Link"]
    assert link.startswith("</agents?limit=2&cursor=")
    assert link.endswith('>; rel="next"')
    second = agents(
        rest_event(
            "GET",
            "/agents",
            authorizer=cognito(claims),
            query={"limit": "2", "cursor": page["next_cursor"]},
        ),
        LambdaContext(),
    )
    rest = _body(second)
    assert rest["next_cursor"] is None
    assert "Link" not in second["headers"]
    assert {item["agent_name"] for item in page["items"] + rest["items"]} == names


def test_every_bad_field_is_in_one_422_problem(agents: LambdaHandler) -> None:
    claims = {**ALICE, "part_id": "bad-input"}
    response = agents(
        rest_event("POST", "/agents", authorizer=cognito(claims), body=BAD_AGENT), LambdaContext()
    )
    assert response["statusCode"] == 422
    assert response["headers"]["Content-Type"] == MEDIA_TYPE
    problem = _body(response)
    assert {error["field"] for error in problem["errors"]} == {
        "agent_name",
        "llm_provider",
        "llm_name",
        "bogus",
    }
    listed = agents(http_event("GET", "/agents", authorizer=jwt(claims)), LambdaContext())
    assert _body(listed)["items"] == []


def test_a_body_that_is_not_json_and_a_bad_limit_are_422_problems(agents: LambdaHandler) -> None:
    event = rest_event("POST", "/agents", authorizer=cognito(ALICE))
    event["body"] = "{not json"
    response = agents(event, LambdaContext())
    assert response["statusCode"] == 422
    assert [e["field"] for e in _body(response)["errors"]] == ["body"]
    event = http_event("GET", "/agents", authorizer=jwt(ALICE), query={"limit": "0"})
    assert [e["field"] for e in _body(agents(event, LambdaContext()))["errors"]] == ["limit"]


def test_a_principal_without_a_tenant_is_forbidden(agents: LambdaHandler) -> None:
    for event in (
        http_event("GET", "/agents", authorizer=jwt({"sub": "carol"})),
        rest_event("GET", "/agents"),
    ):
        response = agents(event, LambdaContext())
        assert response["statusCode"] == 403
        assert _body(response)["type"] == "urn:aace:error:forbidden"


def test_lambda_authorizer_contexts_name_the_tenant(agents: LambdaHandler) -> None:
    created = _create(agents, "Shared", ALICE)
    uuid = created["agent_version_uuid"]
    v1 = rest_event(
        "GET",
        f"/agents/{uuid}",
        authorizer={"principalId": "alice", "integrationLatency": 12, **ALICE},
        path_parameters={"agent_version_uuid": uuid},
    )
    v2 = http_event(
        "GET",
        f"/agents/{uuid}",
        authorizer={"lambda": ALICE},
        path_parameters={"agent_version_uuid": uuid},
    )
    assert _body(agents(v1, LambdaContext())) == _body(agents(v2, LambdaContext())) == created


def test_the_health_path_pings_the_store_without_a_tenant(agents: LambdaHandler) -> None:
    for event in (rest_event("GET", "/health"), http_event("GET", "/health")):
        response = agents(event, LambdaContext())
        assert response["statusCode"] == 200
        health = _body(response)
        assert health["ok"] is True
        assert health["store"]["ok"] is True


def test_a_named_stage_is_not_part_of_the_route(agents: LambdaHandler, settings: Settings) -> None:
    health = agents(http_event("GET", "/prod/health", stage="prod"), LambdaContext())
    assert health["statusCode"] == 200
    assert _body(health)["ok"] is True
    claims = {**ALICE, "part_id": "staged"}
    for name in ("Staged", "Staged 2"):
        _create(agents, name, claims)
    query = {"limit": "1"}
    staged = http_event("GET", "/prod/agents", stage="prod", authorizer=jwt(claims), query=query)
    paged = agents(staged, LambdaContext())
    assert len(_body(paged)["items"]) == 1
    assert paged["headers"]["Link"].startswith("</prod/agents?limit=1&cursor=")  # as sent

    @handler(settings=settings, tenant=platform_tenant())
    async def by_platform(request: LambdaRequest[Aace]) -> Any:
        return {"tenant": str(request.tenant.partition_key), "path": request.path}

    try:
        event = http_event("POST", "/prod/ep-7/graphql", stage="prod", headers={"Part-Id": "a"})
        assert _body(by_platform(event, LambdaContext())) == {
            "tenant": "ep-7#a",
            "path": "/ep-7/graphql",
        }
    finally:
        by_platform.close()


def test_a_warm_container_opens_one_aace(settings: Settings) -> None:
    seen: list[Aace] = []

    @handler(settings=settings, tenant=claims_tenant())
    async def which(request: LambdaRequest[Aace]) -> Any:
        seen.append(request.app)
        return {"adapter": request.app.store.adapter}

    try:
        assert which.opened == 0  # nothing opens before the first invocation
        for _ in range(3):
            response = which(http_event("GET", "/which", authorizer=jwt(ALICE)), LambdaContext())
            assert _body(response) == {"adapter": "sqlite"}
        assert which.opened == 1
        assert len({id(app) for app in seen}) == 1
        assert which.__name__ == "which"
    finally:
        which.close()


def test_a_plain_function_gets_the_blocking_twin(settings: Settings) -> None:
    seen: list[BlockingAace] = []

    @handler(settings=settings, tenant=claims_tenant())
    def count(request: LambdaRequest[BlockingAace]) -> Any:
        seen.append(request.app)
        return {"count": request.app.agents.count(request.tenant)}

    try:
        claims = {**ALICE, "part_id": "blocking"}
        for _ in range(2):
            response = count(http_event("GET", "/count", authorizer=jwt(claims)), LambdaContext())
            assert _body(response) == {"count": 0}
        assert isinstance(seen[0], BlockingAace)
        assert seen[0] is seen[1]
        assert count.opened == 1
    finally:
        count.close()


def test_an_error_that_is_not_the_packages_is_raised_for_lambda(settings: Settings) -> None:
    @handler(settings=settings, tenant=claims_tenant())
    async def broken(request: LambdaRequest[Aace]) -> Any:
        raise KeyError("a bug")

    try:
        with pytest.raises(KeyError):
            broken(http_event("GET", "/broken", authorizer=jwt(ALICE)), LambdaContext())
    finally:
        broken.close()


@pytest.mark.parametrize("make_event", [rest_event, http_event])
def test_gateway_presets_read_the_tenant_from_headers_and_path(
    settings: Settings, make_event: Any
) -> None:
    @handler(settings=settings, tenant=header_tenant())
    async def by_headers(request: LambdaRequest[Aace]) -> Any:
        return {"tenant": str(request.tenant.partition_key)}

    @handler(settings=settings, tenant=platform_tenant(actor_header="X-User"))
    async def by_platform(request: LambdaRequest[Aace]) -> Any:
        return {"tenant": str(request.tenant.partition_key), "who": request.tenant.updated_by}

    try:
        headers = {"X-Endpoint-ID": "ep-9", "X-Part-ID": "acme"}
        found = by_headers(make_event("GET", "/agents", headers=headers), LambdaContext())
        assert _body(found) == {"tenant": "ep-9#acme"}
        fallback = by_headers(
            make_event("GET", "/agents", headers={"X-Endpoint-ID": "ep-9"}), LambdaContext()
        )
        assert _body(fallback) == {"tenant": "ep-9#ep-9"}
        missing = by_headers(make_event("GET", "/agents"), LambdaContext())
        assert missing["statusCode"] == 400
        assert _body(missing)["type"] == "urn:aace:error:invalid-partition-key"
        platform = by_platform(
            make_event(
                "POST", "/ep-7/ai_agent_core_graphql", headers={"Part-Id": "acme", "X-User": "ops"}
            ),
            LambdaContext(),
        )
        assert _body(platform) == {"tenant": "ep-7#acme", "who": "ops"}
    finally:
        by_headers.close()
        by_platform.close()


def test_it_stacks_under_powertools_logger_and_tracer(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    from aws_lambda_powertools import Logger, Tracer

    logger = Logger(service="agents")
    tracer = Tracer(service="agents")

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @handler(settings=settings, tenant=claims_tenant())
    async def traced(request: LambdaRequest[Aace]) -> Any:
        logger.info("listing", extra={"tenant": str(request.tenant.partition_key)})
        return await _agents(request)

    try:
        context = LambdaContext()
        response = traced(http_event("GET", "/agents", authorizer=jwt(ALICE)), context)
        assert response["statusCode"] == 200
        assert "items" in _body(response)
        problem = traced(http_event("GET", "/agents", authorizer=jwt({})), LambdaContext())
        assert problem["statusCode"] == 403
        records = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
        (listing,) = [r for r in records if r.get("message") == "listing"]
        assert listing["function_request_id"] == context.aws_request_id
        assert listing["function_name"] == context.function_name
        assert listing["tenant"] == "ep-1#acme"
    finally:
        traced.__wrapped__.__wrapped__.close()  # type: ignore[attr-defined]
