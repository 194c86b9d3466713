"""The demo: two tenants of one platform deployment, each seeing only its own records."""

from __future__ import annotations

import uuid

from rich.console import Console
from rich.table import Table

from aace.application.facade import Aace
from aace.application.settings import Settings
from aace.domain.errors import HasDependents, NotFound
from aace.domain.tenancy import TenantContext

__all__ = ["counted", "run_demo"]

console = Console(highlight=False)


def counted(number: int, noun: str) -> str:
    """``1 agent``, ``2 agents``, ``0 tasks``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


async def run_demo(settings: Settings) -> None:
    """Write agents, versions and coordinations for two tenants; show what each sees."""
    endpoint = f"demo-{uuid.uuid4().hex[:8]}"
    acme = TenantContext.from_request(endpoint, "acme-corp", updated_by="demo@acme")
    globex = TenantContext.from_request(endpoint, "globex", updated_by="demo@globex")
    async with Aace.open(settings) as app:
        console.print(f"store: [bold]{app.store.adapter}[/bold]")
        console.print(f"tenants: {acme.partition_key}  and  {globex.partition_key}\n")
        acme_bot = await _agent_with_versions(app, acme, "Acme support bot")
        await _agent_with_versions(app, globex, "Globex sales bot")
        await _idempotent_create(app, acme)
        await _conversation(app, acme)
        await _agent_graph(app, acme)
        onboarding = await _coordination(app, acme, "Onboarding", 3)
        await _coordination(app, globex, "Quarterly review", 2)
        for context in (acme, globex):
            await _show_agents(app, context)
            await _show_coordinations(app, context)
        await _isolation(app, acme, globex, acme_bot, onboarding)


async def _agent_with_versions(app: Aace, context: TenantContext, name: str) -> str:
    first = await app.agents.create(
        context,
        {"agent_name": name, "llm_provider": "openai", "llm_name": "gpt-4o"}
        | {"instructions": "Be brief."},
    )
    await app.agents.new_version(context, first.agent_uuid, {"instructions": "Be brief and kind."})
    versions = await app.agents.versions(context, first.agent_uuid)
    table = Table(title=f"{context.part_id}: versions of {name}")
    for column in ("version", "status", "instructions"):
        table.add_column(column)
    for version in sorted(versions, key=lambda v: v.created_at):
        table.add_row(version.agent_version_uuid[:8], version.status, version.instructions or "")
    console.print(table)
    return first.agent_version_uuid


async def _conversation(app: Aace, context: TenantContext) -> None:
    """A thread with a run, messages and a tool call; its history; a guarded delete."""
    agent = await app.agents.create(
        context, {"agent_name": "Acme helpdesk", "llm_provider": "openai", "llm_name": "gpt-4o"}
    )
    thread = await app.threads.find_or_create(context, agent.agent_uuid, user_id="u-42")
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    for role, text in (("user", "Where is my order?"), ("assistant", "Let me look it up.")):
        await app.messages.create(
            context,
            {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid, "role": role}
            | {"message": text},
        )
    await app.tool_calls.upsert_by_call_id(
        context,
        thread.thread_uuid,
        "call-1",
        {"run_uuid": run.run_uuid, "tool_type": "function", "name": "track_order"}
        | {"status": "completed", "content": "shipped"},
    )
    await app.runs.update(
        context, thread.thread_uuid, run.run_uuid, {"completion_tokens": 42, "prompt_tokens": 7}
    )
    table = Table(title=f"{context.part_id}: history of a thread")
    for column in ("role", "content", "run tokens"):
        table.add_column(column)
    for entry in await app.threads.history(context, thread.thread_uuid):
        table.add_row(entry.role, entry.content[:60], str(entry.total_tokens))
    console.print(table)
    try:
        await app.threads.delete(context, thread.thread_uuid)
    except HasDependents as refused:
        console.print(f"guarded delete: {refused}")
    await app.threads.delete(context, thread.thread_uuid, cascade=True)
    console.print("cascade: the thread went with its run, messages and tool call\n")


async def _agent_graph(app: Aace, context: TenantContext) -> None:
    """A coordination whose task agents form a graph, run to completion wave by wave."""
    graph = {"research": [], "draft": ["research"], "review": ["draft"], "notify": ["research"]}
    agents = [{"agent_uuid": a, "agent_name": a, "agent_type": "task"} for a in graph]
    desk = await app.coordinations.create(
        context,
        {"coordination_name": "Article desk", "agents": agents},
        tasks=[
            {
                "task_name": "Article",
                "initial_task_query": '{"topic": "tides"}',
                "subtask_queries": [
                    {"agent_uuid": a, "subtask_query": f"{a}: {{topic}}"} for a in graph
                ],
                "agent_actions": {a: {"predecessors": p} for a, p in graph.items()},
            }
        ],
    )
    (task,) = (await app.tasks.list(context, coordination_uuid=desk.coordination_uuid)).items
    session = await app.sessions.create(
        context, {"coordination_uuid": desk.coordination_uuid, "task_uuid": task.task_uuid}
    )
    s = session.session_uuid
    await app.session_agents.start(context, desk.coordination_uuid, s)
    waves = []
    while ready := await app.session_agents.ready(context, s):
        waves.append(sorted(a.agent_uuid for a in ready))
        for agent in ready:
            await app.session_agents.complete(context, s, agent.session_agent_uuid, "done")
    console.print("agent graph, wave by wave: " + " -> ".join(", ".join(w) for w in waves) + "\n")


async def _idempotent_create(app: Aace, context: TenantContext) -> None:
    data = {"agent_name": "Acme triage bot", "llm_provider": "anthropic", "llm_name": "claude"}
    key = f"create-triage-{context.endpoint_id}"
    once = await app.agents.create(context, data, idempotency_key=key)
    again = await app.agents.create(context, data, idempotency_key=key)
    outcome = "one agent" if once.agent_version_uuid == again.agent_version_uuid else "TWO agents"
    console.print(f"idempotent create: the same key twice made {outcome}\n")


async def _coordination(app: Aace, context: TenantContext, name: str, steps: int) -> str:
    created = await app.coordinations.create(
        context,
        {"coordination_name": name, "agents": []},
        tasks=[
            {"task_name": f"step {i}", "initial_task_query": f"{name}: do step {i}"}
            for i in range(1, steps + 1)
        ],
    )
    return created.coordination_uuid


async def _show_agents(app: Aace, context: TenantContext) -> None:
    page = await app.agents.list_active(context, limit=10)
    table = Table(title=f"what {context.part_id} sees: active agents")
    for column in ("agent", "name", "version", "updated by"):
        table.add_column(column)
    for agent in page.items:
        table.add_row(
            agent.agent_uuid[:8], agent.agent_name, agent.agent_version_uuid[:8], agent.updated_by
        )
    console.print(table)
    console.print(
        f"{context.part_id} has {counted(await app.agents.count_active(context), 'agent')}\n"
    )


async def _show_coordinations(app: Aace, context: TenantContext) -> None:
    coordinations = (await app.coordinations.list(context)).items
    table = Table(title=f"what {context.part_id} sees: coordinations and their tasks")
    for column in ("coordination", "name", "task", "query"):
        table.add_column(column)
    for coordination in coordinations:
        tasks = await app.tasks.list(context, coordination_uuid=coordination.coordination_uuid)
        for task in sorted(tasks.items, key=lambda t: t.task_name):
            table.add_row(
                coordination.coordination_uuid[:8],
                coordination.coordination_name,
                task.task_name,
                task.initial_task_query,
            )
    console.print(table)
    console.print(
        f"{context.part_id} has {counted(len(coordinations), 'coordination')} "
        "(each written atomically with its tasks)\n"
    )


async def _isolation(
    app: Aace, owner: TenantContext, other: TenantContext, agent: str, coordination: str
) -> None:
    for what, read in (
        (f"agent version {agent[:8]}…", app.agents.get(other, agent)),
        (f"coordination {coordination[:8]}…", app.coordinations.get(other, coordination)),
    ):
        try:
            await read
        except NotFound:
            console.print(
                f"isolation: {other.part_id} asked for {owner.part_id}'s {what} "
                "and got NotFound, as for a missing record"
            )
        else:  # pragma: no cover - would be a defect
            raise AssertionError("tenant isolation broken")
