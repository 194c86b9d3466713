"""``aace serve``'s app over real HTTP (uvicorn on loopback) on SQLite and DynamoDB Local:
every entity's insert, get, list and delete with the generator's documents; the tenant
from ``Part-Id``; 400 for a request that is not GraphQL; registries refused on an open port
unless served as operator; the health route."""

from __future__ import annotations

from typing import Any

import attrs
import pytest

from aace.graphql.serve import create_app
from tests.backends import settings_opener
from tests.contrib.serving import serving
from tests.graphql.scenario import STEPS, document, fresh_run, key_of

pytestmark = pytest.mark.anyio

PATHS = {"ac": "ai_agent_core_graphql", "co": "ai_coordination_graphql"}


@pytest.fixture(params=["sqlite", "dynamodb"])
async def settings(request):
    async with settings_opener(request.param)(request) as opened:
        yield attrs.evolve(opened, initialize="create")


def ok(response) -> dict:
    assert response.status_code == 200, response.text
    answer = response.json()
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


async def test_every_entity_over_http(settings) -> None:
    run, part, other = fresh_run(), f"acme-{fresh_run()}", f"globex-{fresh_run()}"
    async with serving(create_app(settings, operator_policy="all")) as http:

        async def call(step, op, kind, variables, tenant=part):
            return await http.post(
                f"/ep-{run}/{PATHS[step.schema]}",
                json={"query": document(step, op, kind), "variables": variables},
                headers={"Part-Id": tenant},
            )

        made: dict[str, Any] = {}
        every: dict[str, Any] = {}
        for step in STEPS:
            variables = {**step.insert(made, 0, run), "updatedBy": "alice"}
            record = ok(await call(step, step.insert_op, "Mutation", variables))[step.insert_op]
            made[step.name] = record[step.name]
            every[step.name] = record[step.name]
            keys = key_of(made[step.name], step.keys)
            assert ok(await call(step, step.name, "Query", keys))[step.name] is not None
            if step.name not in ("llm", "uiComponent", "wizardSchema"):
                hidden = await call(step, step.name, "Query", keys, tenant=other)
                assert ok(hidden)[step.name] is None
            listed = ok(await call(step, f"{step.name}List", "Query", step.filters(made, run)))
            assert listed[f"{step.name}List"]["total"] == 1
        for step in reversed(STEPS):
            keys = key_of(every[step.name], step.delete_keys or step.keys)
            deleted = ok(await call(step, step.delete_op, "Mutation", keys))
            assert deleted[step.delete_op] == {"ok": True}, step.name
        assert (await http.get("/health")).status_code == 200


async def test_an_open_port_refuses_registry_writes_and_bad_requests(settings) -> None:
    run = fresh_run()
    llm = STEPS[0]
    async with serving(create_app(settings)) as http:
        path = f"/ep-{run}/ai_agent_core_graphql"
        variables = {**llm.insert({}, 0, run), "updatedBy": "alice"}
        query = document(llm, llm.insert_op, "Mutation")
        refused = (await http.post(path, json={"query": query, "variables": variables})).json()
        assert refused["data"] == {"insertUpdateLlm": None}
        assert refused["errors"][0]["extensions"]["code"] == "Forbidden"
        assert (await http.post(path, content=b"not json")).status_code == 400
        assert (await http.post(path, json={"variables": {}})).status_code == 400
        assert (
            await http.post(path, json={"query": "{ ping }", "variables": 3})
        ).status_code == 400
