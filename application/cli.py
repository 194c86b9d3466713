"""The ``aace`` command: prepare a store, run the multi-tenant demo."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

import attrs
import typer
from rich.console import Console
from rich.table import Table

from aace.application.container import Services, open_services
from aace.application.settings import DEFAULT_STORAGE_URL, Settings
from aace.application.storage import build_store
from aace.domain.errors import AaceError, NotFound
from aace.domain.tenancy import TenantContext

app = typer.Typer(help="aace-core: multi-tenant persistence for AI-agent platforms.")
console = Console()

StorageOption = Annotated[
    str,
    typer.Option(
        "--storage",
        envvar="AACE_STORAGE_URL",
        help="memory://, sqlite:///file.db, postgresql+asyncpg://…, dynamodb://host:port?region=…",
    ),
]


def _settings(storage: str) -> Settings:
    return attrs.evolve(Settings.from_env(), storage_url=storage)


@app.command()
def init(storage: StorageOption = DEFAULT_STORAGE_URL) -> None:
    """Prepare the store: run SQL migrations or create DynamoDB tables (nothing for memory)."""

    async def run() -> None:
        store = build_store(_settings(storage).store_config())
        try:
            await store.initialize()
        finally:
            await store.close()

    try:
        asyncio.run(run())
    except AaceError as exc:
        console.print(f"[red]init failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"[green]ready:[/green] {storage}")


@app.command()
def demo(storage: StorageOption = "sqlite:///aace-demo.db") -> None:
    """Two tenants, agents with versions, a coordination with tasks: each sees only its own."""
    try:
        asyncio.run(_demo(_settings(storage)))
    except AaceError as exc:
        console.print(f"[red]demo failed:[/red] {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc


async def _demo(settings: Settings) -> None:
    endpoint = f"demo-{uuid.uuid4().hex[:8]}"
    acme = TenantContext.from_request(endpoint, "acme-corp", updated_by="demo@acme")
    globex = TenantContext.from_request(endpoint, "globex", updated_by="demo@globex")
    async with await open_services(settings) as services:
        console.print(f"store: [bold]{services.store.adapter}[/bold] ({settings.storage_url})")
        console.print(f"tenants: {acme.partition_key}  and  {globex.partition_key}\n")
        acme_bot = await _agents_with_versions(services, acme, "Acme support bot")
        await _agents_with_versions(services, globex, "Globex sales bot")
        await _idempotent_create(services, acme)
        await _coordination(services, acme)
        for context in (acme, globex):
            await _show_agents(services, context)
        try:
            await services.agents.get(globex, acme_bot)
        except NotFound:
            console.print(
                f"[green]isolation:[/green] {globex.part_id} asked for {acme.part_id}'s agent "
                f"version {acme_bot[:8]}… and got NotFound, as for a missing record."
            )
        else:  # pragma: no cover - would be a defect
            raise AssertionError("tenant isolation broken")


async def _agents_with_versions(services: Services, context: TenantContext, name: str) -> str:
    first = await services.agents.create(
        context,
        {
            "agent_name": name,
            "llm_provider": "openai",
            "llm_name": "gpt-4o",
            "instructions": "Be brief.",
        },
    )
    await services.agents.new_version(
        context, first.agent_uuid, {"instructions": "Be brief and kind."}
    )
    versions = await services.agents.versions(context, first.agent_uuid)
    table = Table(title=f"{context.part_id}: versions of {name}")
    for column in ("version", "status", "instructions"):
        table.add_column(column)
    for version in sorted(versions, key=lambda v: v.created_at):
        table.add_row(version.agent_version_uuid[:8], version.status, version.instructions or "")
    console.print(table)
    return first.agent_version_uuid


async def _idempotent_create(services: Services, context: TenantContext) -> None:
    data = {"agent_name": "Acme triage bot", "llm_provider": "anthropic", "llm_name": "claude"}
    key = f"create-triage-{context.endpoint_id}"
    once = await services.agents.create(context, data, idempotency_key=key)
    again = await services.agents.create(context, data, idempotency_key=key)
    same = once.agent_version_uuid == again.agent_version_uuid
    console.print(f"idempotent create: the same key twice gave one agent: [green]{same}[/green]\n")


async def _coordination(services: Services, context: TenantContext) -> None:
    created = await services.coordinations.create(
        context,
        {"coordination_name": "Onboarding", "agents": [{"agent_name": "Acme support bot"}]},
        [{"task_name": f"step {i}", "initial_task_query": f"Do step {i}"} for i in range(1, 4)],
    )
    page = await services.coordinations.tasks(context, created.coordination.coordination_uuid)
    console.print(
        f"{context.part_id}: coordination '{created.coordination.coordination_name}' written "
        f"atomically with {len(page.items)} tasks\n"
    )


async def _show_agents(services: Services, context: TenantContext) -> None:
    page = await services.agents.list_active(context, limit=10)
    table = Table(title=f"what {context.part_id} sees: active agents")
    for column in ("agent", "name", "version", "updated by"):
        table.add_column(column)
    for agent in page.items:
        table.add_row(
            agent.agent_uuid[:8], agent.agent_name, agent.agent_version_uuid[:8], agent.updated_by
        )
    console.print(table)
    console.print(f"{context.part_id} has {await services.agents.count(context)} agents\n")


if __name__ == "__main__":
    app()


def main() -> None:
    app()
