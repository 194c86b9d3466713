"""Minimal valid input for each agent-engine service, creating the parents it needs."""

from __future__ import annotations

from typing import Any

from aace.application.roster import service_names
from aace.application.sample_records import minimal_input, platform_services
from aace.domain.tenancy import PlatformContext, TenantContext

OPERATOR = PlatformContext(updated_by="operator")

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def parents(app: Any, context: TenantContext) -> dict[str, Any]:
    """An agent, a thread and a run of it, for children to point at."""
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    return {"agent": agent, "thread": thread, "run": run}


COORDINATION = {
    "coordination_name": "Support desk",
    "agents": [
        {"agent_uuid": "a-1", "agent_name": "Researcher", "agent_type": "task"},
        {"agent_uuid": "a-2", "agent_name": "Writer", "agent_type": "task"},
    ],
}


async def coordination_parents(app: Any, context: TenantContext) -> dict[str, Any]:
    """A coordination, a task of it and a session of that task."""
    coordination = await app.coordinations.create(context, COORDINATION)
    c = coordination.coordination_uuid
    task = await app.tasks.create(
        context,
        {
            "coordination_uuid": c,
            "task_name": "Answer",
            "initial_task_query": "q",
            "subtask_queries": [{"agent_uuid": "a-1", "subtask_query": "research"}],
        },
    )
    session = await app.sessions.create(
        context, {"coordination_uuid": c, "task_uuid": task.task_uuid}
    )
    return {"coordination": coordination, "task": task, "session": session}


async def minimal(app: Any, context: TenantContext, service: str) -> dict[str, Any]:
    """Valid ``create`` input for ``service`` (its parents created first)."""
    if service == "coordinations":
        return dict(COORDINATION)
    if service in ("tasks", "sessions", "session_agents", "session_runs", "task_schedules"):
        made = await coordination_parents(app, context)
        c = made["coordination"].coordination_uuid
        s = made["session"].session_uuid
        return {
            "tasks": {"coordination_uuid": c, "task_name": "T", "initial_task_query": "q"},
            "sessions": {"coordination_uuid": c, "task_uuid": made["task"].task_uuid},
            "session_agents": {"session_uuid": s, "coordination_uuid": c, "agent_uuid": "a-1"},
            "session_runs": {
                "session_uuid": s,
                "run_uuid": f"r-{s}",
                "thread_uuid": "t-1",
                "agent_uuid": "a-1",
                "coordination_uuid": c,
                "async_task_uuid": "at-1",
            },
            "task_schedules": {
                "task_uuid": made["task"].task_uuid,
                "coordination_uuid": c,
                "schedule": "0 9 * * *",
            },
        }[service]
    if service in ("threads", "runs", "messages", "tool_calls", "fine_tuning_messages"):
        made = await parents(app, context)
        thread, run = made["thread"], made["run"]
        return {
            "threads": {"agent_uuid": made["agent"].agent_uuid, "user_id": "u1"},
            "runs": {"thread_uuid": thread.thread_uuid},
            "messages": {
                "thread_uuid": thread.thread_uuid,
                "run_uuid": run.run_uuid,
                "role": "user",
                "message": "hello",
            },
            "tool_calls": {
                "thread_uuid": thread.thread_uuid,
                "run_uuid": run.run_uuid,
                "tool_type": "function",
                "name": "search",
            },
            "fine_tuning_messages": {
                "agent_uuid": made["agent"].agent_uuid,
                "message_uuid": f"m-{thread.thread_uuid}",
                "thread_uuid": thread.thread_uuid,
                "role": "user",
                "content": "hi",
            },
        }[service]
    # The package's test kit holds the minimal input; these values are the suite's own.
    own: dict[str, dict[str, Any]] = {
        "agents": AGENT,
        "mcp_servers": {"headers": {"Authorization": "Bearer s3cret"}},
        "llms": {"llm_name": f"model-{context.part_id}"},
        "ui_components": {"tag_name": f"t-{context.part_id}"},
        "wizard_schemas": {"wizard_schema_name": f"s-{context.part_id}"},
    }
    return minimal_input(service, **own.get(service, {}))


#: A field each service's ``update`` may change, with a new value.
CHANGES: dict[str, dict[str, Any]] = {
    "agents": {"agent_description": "changed"},
    "threads": {"user_id": "u2"},
    "runs": {"run_id": "r-2"},
    "messages": {"message": "changed"},
    "tool_calls": {"arguments": "{}"},
    "async_tasks": {"result": "changed"},
    "fine_tuning_messages": {"weight": 2},
    "prompt_templates": {"prompt_description": "changed"},
    "flow_snippets": {"flow_context": "changed"},
    "mcp_servers": {"mcp_label": "changed"},
    "elements": {"priority": 3},
    "wizards": {"priority": 3},
    "wizard_groups": {"weight": 3},
    "wizard_group_filters": {"weight": 3},
    "llms": {"module_name": "changed"},
    "ui_components": {"wait_for": "changed"},
    "wizard_schemas": {"wizard_schema_description": "changed"},
    "coordinations": {"coordination_description": "changed"},
    "tasks": {"task_description": "changed"},
    "sessions": {"status": "dispatched"},
    "session_agents": {"state": "executing"},
    "session_runs": {"async_task_uuid": "at-2"},
    "task_schedules": {"schedule": "0 10 * * *"},
}
#: The platform registries' services, in roster order (derived from their schemas).
PLATFORM = tuple(name for name in service_names() if name in platform_services())
#: Services of the roster whose verbs differ from the shared shape, and where they are tested.
ELSEWHERE = {
    "usage": "tests/integration/test_usage.py (metering, not records)",
    "usage_limits": "tests/integration/test_usage.py (only an operator writes limits)",
    "usage_summaries": "tests/integration/test_usage.py (read-only totals)",
}


async def graph_session(
    app: Any, context: TenantContext, graph: dict[str, list[str]], task_query: str = "q"
) -> tuple[str, str]:
    """A coordination whose task agents form ``graph``, and a session of its task."""
    agents = [{"agent_uuid": a, "agent_name": a, "agent_type": "task"} for a in graph]
    coordination = await app.coordinations.create(
        context, {"coordination_name": "Graph", "agents": agents}
    )
    c = coordination.coordination_uuid
    task = await app.tasks.create(
        context,
        {
            "coordination_uuid": c,
            "task_name": "Run the graph",
            "initial_task_query": task_query,
            "subtask_queries": [{"agent_uuid": a, "subtask_query": f"do {a}"} for a in graph],
            "agent_actions": {a: {"predecessors": p} for a, p in graph.items()},
        },
    )
    session = await app.sessions.create(
        context, {"coordination_uuid": c, "task_uuid": task.task_uuid}
    )
    return c, session.session_uuid


async def agents_with_references(store: Any, tenant: Any, count: int) -> None:
    """``count`` active agents, each naming a flow-snippet version and 3 MCP servers of its
    own (written through the repositories, in bulk)."""
    from aace.domain.entities import AGENTS, FLOW_SNIPPETS, MCP_SERVERS
    from tests.factories import sample

    snippets = [sample(FLOW_SNIPPETS, tenant) for _ in range(count)]
    servers = [sample(MCP_SERVERS, tenant, headers={"A": "secret"}) for _ in range(3 * count)]
    agents = [
        sample(
            AGENTS,
            tenant,
            status="active",
            flow_snippet_version_uuid=snippets[i].flow_snippet_version_uuid,
            mcp_server_uuids=[s.mcp_server_uuid for s in servers[3 * i : 3 * i + 3]],
        )
        for i in range(count)
    ]
    await store.repository(FLOW_SNIPPETS).put_many(snippets)
    await store.repository(MCP_SERVERS).put_many(servers)
    await store.repository(AGENTS).put_many(agents)
