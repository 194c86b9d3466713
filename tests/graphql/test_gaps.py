"""The gaps between the platform's API and the services, one by one (docs/graphql.md):
pages over cursors with a memo, the bounds of limit, ``"null"``, missing records, deletes
with dependents, operator policies, bad input, nested request counts, the cost bound."""

from __future__ import annotations

from datetime import datetime

import pytest

from aace.application.container import wire_services
from aace.application.facade import Aace
from aace.application.settings import Settings
from tests.graphql.conftest import Client
from tests.graphql.scenario import STEPS, build_agents, document, fresh_run
from tests.integration.test_filter_values import CountingStore

pytestmark = pytest.mark.anyio
BY_NAME = {step.name: step for step in STEPS}


def counted(store, **options) -> tuple[CountingStore, Client]:
    counting = CountingStore(store)
    settings = Settings()
    return counting, Client(Aace(settings, counting, wire_services(settings, counting)), **options)


def data(answer: dict) -> dict:
    assert "errors" not in answer, answer["errors"]
    return answer["data"]


async def test_nested_reads_cost_the_same_for_5_or_15_agents(store, new_tenant) -> None:
    calls = []
    for count in (5, 15):
        tenant = new_tenant()
        counting, client = counted(store)
        await build_agents(client, tenant, fresh_run(), count)
        counting.calls.clear()
        listed = await client(
            "ac",
            document(BY_NAME["agent"], "agentList", "Query"),
            {"limit": 50},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
        agents = data(listed)["agentList"]["agentList"]
        assert len(agents) == count
        first = agents[0]
        assert first["llm"]["llmName"]
        assert first["flowSnippet"]["promptTemplate"]
        assert first["mcpServers"][0]["mcpLabel"] == "mcp-0"
        calls.append(sorted(counting.calls))
    assert calls[0] == calls[1]  # no read per agent
    assert calls[0].count("llms.get_many") == 1
    assert calls[0].count("flow_snippets.get_many") == 1
    assert calls[0].count("mcp_servers.get_many") <= 2  # the agents' and the templates'


async def test_pages_walk_cursors_once_and_a_write_never_repeats_a_record(store, tenant) -> None:
    counting, client = counted(store)
    made = await build_agents(client, tenant, fresh_run(), 1)
    thread = BY_NAME["thread"]
    for i in range(4):
        await client(
            "ac",
            document(thread, "insertThread", "Mutation"),
            {"agentUuid": made["agent"]["agentUuid"], "threadUuid": f"t-{i}"},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
    listing = document(thread, "threadList", "Query")

    async def page(number: int) -> list:
        counting.calls.clear()
        answer = await client(
            "ac",
            listing,
            {"limit": 1, "pageNumber": number},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
        )
        return [t["threadUuid"] for t in data(answer)["threadList"]["threadList"]]

    first = await page(1)
    assert counting.calls.count("threads.query") == 1
    second = await page(2)
    assert counting.calls.count("threads.query") == 1  # from page 1's memoised cursor
    assert "threads.count" not in counting.calls  # the total is memoised too
    await client(
        "ac",
        document(thread, "insertThread", "Mutation"),
        {"agentUuid": made["agent"]["agentUuid"], "threadUuid": "t-new"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    third = await page(3)
    assert not {*first, *second} & set(third)
    counting2, client2 = counted(store)  # a fresh memo: page 4 out of order walks 4 pages
    counting2.calls.clear()
    await client2(
        "ac",
        listing,
        {"limit": 1, "pageNumber": 4},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert counting2.calls.count("threads.query") == 4


async def test_limit_bounds_and_defaults(client, tenant) -> None:
    listing = document(BY_NAME["element"], "elementList", "Query")
    too_many = await client(
        "ac", listing, {"limit": 1001}, endpoint=tenant.endpoint_id, part=tenant.part_id
    )
    assert too_many["errors"][0]["message"].startswith("limit:")
    default = await client("ac", listing, {}, endpoint=tenant.endpoint_id, part=tenant.part_id)
    assert data(default)["elementList"]["pageSize"] == 100
    naive = await client(
        "ac",
        listing,
        {"updatedAtGt": datetime(2020, 1, 1).isoformat()},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert data(naive)["elementList"]["total"] == 0


async def test_null_text_clears_where_the_platform_clears(client, tenant) -> None:
    where = {"endpoint": tenant.endpoint_id, "part": tenant.part_id}
    group = BY_NAME["wizardGroup"]
    insert = document(group, group.insert_op, "Mutation")
    made = data(
        await client(
            "ac",
            insert,
            {**group.insert({}, 0, "r"), "wizardGroupDescription": "d", "updatedBy": "a"},
            **where,
        )
    )["insertUpdateWizardGroup"]["wizardGroup"]
    cleared = data(
        await client(
            "ac",
            insert,
            {
                **group.insert({}, 0, "r"),
                "wizardGroupUuid": made["wizardGroupUuid"],
                "wizardGroupDescription": "null",
                "updatedBy": "a",
            },
            **where,
        )
    )
    assert cleared["insertUpdateWizardGroup"]["wizardGroup"]["wizardGroupDescription"] is None
    # on tasks (as on runs, messages, tool calls, ...) the platform keeps "null" as text
    coordination = data(
        await client(
            "co",
            document(BY_NAME["coordination"], "insertUpdateCoordination", "Mutation"),
            {"coordinationName": "c", "updatedBy": "a"},
            **where,
        )
    )
    uuid = coordination["insertUpdateCoordination"]["coordination"]["coordinationUuid"]
    task = BY_NAME["task"]
    kept = data(
        await client(
            "co",
            document(task, task.insert_op, "Mutation"),
            {
                "coordinationUuid": uuid,
                "taskName": "t",
                "initialTaskQuery": "q",
                "taskDescription": "null",
                "updatedBy": "a",
            },
            **where,
        )
    )
    assert kept["insertUpdateTask"]["task"]["taskDescription"] == "null"


async def test_missing_records_are_null_and_deletes_with_dependents_are_not_ok(
    client, tenant
) -> None:
    made = await build_agents(client, tenant, fresh_run(), 1)
    missing = await client(
        "ac",
        document(BY_NAME["thread"], "thread", "Query"),
        {"threadUuid": "nope"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert data(missing) == {"thread": None}
    agent = await client(
        "ac",
        document(BY_NAME["agent"], "agent", "Query"),
        {"agentUuid": "nope"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert data(agent) == {"agent": None}
    await client(
        "ac",
        document(BY_NAME["thread"], "insertThread", "Mutation"),
        {"agentUuid": made["agent"]["agentUuid"], "threadUuid": "t-1"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    await client(
        "ac",
        document(BY_NAME["run"], "insertUpdateRun", "Mutation"),
        {"threadUuid": "t-1", "updatedBy": "a"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    refused = await client(
        "ac",
        document(BY_NAME["thread"], "deleteThread", "Mutation"),
        {"threadUuid": "t-1"},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert refused["data"] == {"deleteThread": {"ok": False}}
    assert refused["errors"][0]["extensions"]["code"] == "HasDependents"


async def test_operator_policies(store, tenant) -> None:
    llm = BY_NAME["llm"]
    run = fresh_run()
    variables = {**llm.insert({}, 0, run), "updatedBy": "a"}
    insert = document(llm, llm.insert_op, "Mutation")
    _, closed = counted(store, operator_policy="none")
    refused = await closed(
        "ac", insert, variables, endpoint=tenant.endpoint_id, part=tenant.part_id
    )
    assert refused["errors"][0]["extensions"]["code"] == "Forbidden"
    _, chosen = counted(store, operator_policy=lambda request: request.get("role") == "admin")
    refused = await chosen(
        "ac",
        insert,
        variables,
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
        context={"role": "user"},
    )
    assert refused["errors"][0]["extensions"]["code"] == "Forbidden"
    allowed = await chosen(
        "ac",
        insert,
        variables,
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
        context={"role": "admin"},
    )
    assert data(allowed)["insertUpdateLlm"]["llm"]["llmName"] == "model-0"
    # MCP credentials: an operator reads them, anyone else sees null, no error
    mcp = BY_NAME["mcpServer"]
    made = data(
        await chosen(
            "ac",
            document(mcp, mcp.insert_op, "Mutation"),
            {**mcp.insert({}, 0, run), "updatedBy": "a"},
            endpoint=tenant.endpoint_id,
            part=tenant.part_id,
            context={"role": "admin"},
        )
    )["insertUpdateMcpServer"]["mcpServer"]
    assert made["headers"] == {"Authorization": "Bearer secret-token"}
    get = document(mcp, "mcpServer", "Query")
    seen = await chosen(
        "ac",
        get,
        {"mcpServerUuid": made["mcpServerUuid"]},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
        context={"role": "user"},
    )
    assert data(seen)["mcpServer"]["headers"] is None


async def test_bad_input_names_the_argument_and_writes_nothing(client, tenant) -> None:
    element = BY_NAME["element"]
    insert = document(element, element.insert_op, "Mutation")
    listing = document(element, "elementList", "Query")
    where = {"endpoint": tenant.endpoint_id, "part": tenant.part_id}
    wrong_type = await client(
        "ac", insert, {**element.insert({}, 0, "r"), "priority": "high", "updatedBy": "a"}, **where
    )
    assert "priority" in wrong_type["errors"][0]["message"]
    unknown = await client(
        "ac", "mutation { insertUpdateElement(bogus: 1) { ok } }", None, **where
    )
    assert "bogus" in unknown["errors"][0]["message"]
    secret = "s" * 500_000
    oversize = await client(
        "ac", insert, {**element.insert({}, 0, "r"), "pattern": secret, "updatedBy": "a"}, **where
    )
    message = oversize["errors"][0]["message"]
    assert message.startswith("pattern") or "pattern" in str(oversize["errors"][0])
    assert secret[:50] not in str(oversize)
    blank = await client(
        "ac", insert, {**element.insert({}, 0, "r"), "elementTitle": "", "updatedBy": "a"}, **where
    )
    assert blank["errors"][0]["message"].startswith("elementTitle:")
    assert data(await client("ac", listing, {}, **where))["elementList"]["total"] == 0


async def test_a_document_above_the_cost_bound_is_refused_before_it_runs(store, tenant) -> None:
    counting, client = counted(store, max_request_cost=5)
    answer = await client(
        "ac",
        document(BY_NAME["agent"], "agentList", "Query"),
        {"limit": 50},
        endpoint=tenant.endpoint_id,
        part=tenant.part_id,
    )
    assert "max_request_cost" in answer["errors"][0]["message"]
    assert counting.calls == []
