"""The GraphQL entry point per backend, interleaved rounds:

- ``agent(agentUuid)`` and ``agentList(limit: 50)`` selecting every field (nested llm,
  mcpServers, flowSnippet and its promptTemplate) through the gateway, against graphql-core
  executing the same document over the same answer preloaded in memory (the floor: the
  platform's SDL with default resolvers), target <= 1.3x; and against the service calls
  that read the same records (``include=``) plus their JSON encoding;
- storage requests per document;
- ``threadList`` page 20 read right after page 19 (the memoised cursor) vs page 1 (<= 1.2x).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from graphql import build_schema, graphql

from aace import Aace, TenantContext
from aace.application.serialization import dumps
from benchmarks.backends import Backend, breakdown, counting, for_each_backend, requests_of
from benchmarks.report import Report, interleaved_timing
from tests.graphql.conftest import Client
from tests.graphql.scenario import BY_NAME, build_agents, document

_SDL = Path(__file__).resolve().parents[2] / "shared" / "reference" / "graphql"


def _floor_schema() -> Any:
    return build_schema((_SDL / "agent-core.graphql").read_text())


async def _documents(report: Report, backend: Backend, app: Aace) -> None:
    client = Client(app)
    ctx = TenantContext.from_request("bench", f"g-{uuid.uuid4().hex[:8]}")
    tenant = ctx.partition_key
    made = await build_agents(client, tenant, uuid.uuid4().hex[:8], 50)
    floor = _floor_schema()
    cases = {
        "agent(agentUuid)": (
            document(BY_NAME["agent"], "agent", "Query"),
            {"agentUuid": made["agent"]["agentUuid"]},
        ),
        "agentList(limit: 50)": (
            document(BY_NAME["agent"], "agentList", "Query"),
            {"limit": 50},
        ),
    }
    for label, (text, variables) in cases.items():

        async def ours(text: str = text, variables: dict[str, Any] = variables) -> Any:
            answer = await client(
                "ac", text, variables, endpoint=tenant.endpoint_id, part=tenant.part_id
            )
            assert "errors" not in answer
            return answer

        preloaded = (await ours())["data"]

        async def graphene_floor(
            text: str = text, variables: dict[str, Any] = variables, data: Any = preloaded
        ) -> Any:
            return await graphql(floor, text, root_value=data, variable_values=variables)

        async def services(label: str = label) -> bytes:
            includes = ["llm", "mcp_servers", "flow_snippet"]
            if label.startswith("agent("):
                agent = await app.agents.active(ctx, made["agent"]["agentUuid"])
                loaded = await app.agents.get(ctx, agent.agent_version_uuid, include=includes)
                return dumps(loaded, camel=True, tenant=True)
            page = await app.agents.list(ctx, limit=50, include=includes)
            return dumps(page, camel=True, tenant=True)

        with counting(requests_of(app.store)) as sent:
            await ours()
        to_floor = await interleaved_timing(ours, graphene_floor, repeat=5, rounds=7)
        to_services = await interleaved_timing(ours, services, repeat=5, rounds=7)
        report.add(
            "graphql",
            f"{backend.name}: {label} every field vs graphql-core over preloaded data",
            to_floor.ratio,
            "x",
            context=f"{to_floor.describe()}; storage requests: {breakdown(sent)}",
        )
        report.add(
            "graphql",
            f"{backend.name}: {label} every field vs the service calls + JSON",
            to_services.ratio,
            "x",
            context=to_services.describe(),
        )


async def _pages(report: Report, backend: Backend, app: Aace) -> None:
    client = Client(app)
    tenant = TenantContext.from_request("bench", f"p-{uuid.uuid4().hex[:8]}").partition_key
    made = await build_agents(client, tenant, uuid.uuid4().hex[:8], 1)
    insert = document(BY_NAME["thread"], "insertThread", "Mutation")
    for i in range(100):
        await client(
            "ac",
            insert,
            {"agentUuid": made["agent"]["agentUuid"], "threadUuid": f"t-{i:03}"},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
    listing = document(BY_NAME["thread"], "threadList", "Query")

    async def page(number: int) -> Any:
        return await client(
            "ac",
            listing,
            {"limit": 5, "pageNumber": number},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )

    for number in range(1, 20):  # read in order: page 20's start is memoised
        await page(number)

    async def twentieth() -> Any:
        return await page(20)

    async def first() -> Any:
        return await page(1)

    timing = await interleaved_timing(twentieth, first, repeat=5, rounds=7)
    report.add(
        "graphql",
        f"{backend.name}: threadList page 20 (after 19 in order) vs page 1, limit 5",
        timing.ratio,
        "x",
        context=timing.describe(),
    )


async def run(report: Report) -> None:
    async def measure(backend: Backend) -> None:
        async with Aace.open(backend.settings) as app:
            await _documents(report, backend, app)
            await _pages(report, backend, app)

    await for_each_backend(measure)
