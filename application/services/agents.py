"""Agents: versioned, compiled from their flow snippet, limited per tenant (behaviour.md
§3-5, services.md "Agent compilation")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import checked_entry_points
from aace.application.services.contention import commit_or_lose
from aace.application.services.entity import Context, ServiceSpec, new_id, tenant_of
from aace.application.services.listing import Listing, contains, eq, nested, one_of
from aace.application.services.versioned import VersionedService, Versioning, unchanged
from aace.application.settings import Settings
from aace.domain.compilation import compile_agent
from aace.domain.entities import (
    AGENTS,
    FLOW_SNIPPETS,
    PROMPT_TEMPLATES,
    Agent,
    FlowSnippet,
    PromptTemplate,
)
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, Store, UnitOfWork, find_active
from aace.domain.records import structure_input
from aace.domain.tenancy import PartitionKey, TenantContext

__all__ = ["AGENT_COUNTER", "AgentService"]

#: The tenant counter holding the number of distinct agents (not versions).
AGENT_COUNTER = "agents"

AGENT_LISTING = Listing(
    {
        "agent_uuid": eq("agent_uuid"),
        "agent_name_contains": contains("agent_name"),
        "llm_provider": eq("llm_provider"),
        "llm_name": eq("llm_name"),
        "model": nested("configuration", "model"),
        "statuses": one_of("status"),
        "flow_snippet_version_uuid": eq("flow_snippet_version_uuid"),
    },
    order="updated_at",
    descending=True,
)


@checked_entry_points
class AgentService(VersionedService[Agent]):
    """Agents and their versions. ``max_agents_per_tenant`` (settings) bounds the distinct
    agents of a tenant (``LimitExceeded``); a version naming a flow snippet gets its
    ``instructions`` and ``mcp_server_uuids`` compiled from it."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(AGENTS, AGENT_LISTING)
    versioning = Versioning("agent_uuid", "agent_name")

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._limit = settings.max_agents_per_tenant
        self._snippets = store.repository(FLOW_SNIPPETS)
        self._templates = store.repository(PROMPT_TEMPLATES)

    async def _also_on_create(self, uow: UnitOfWork, context: Context, entity: Agent) -> None:
        uow.increment(tenant_of(context), AGENT_COUNTER, 1, limit=self._limit)

    def _also_on_last_delete(self, uow: UnitOfWork, tenant: PartitionKey) -> None:
        uow.increment(tenant, AGENT_COUNTER, -1)

    def _completes_on(self, changes: Mapping[str, Any]) -> bool:
        """An update recompiles only when it changes what compilation reads (so
        instructions a caller writes on a compiled agent stay as written)."""
        return bool({"flow_snippet_version_uuid", "variables"} & changes.keys())

    async def _complete(self, context: Context, entity: Agent) -> Agent:
        if entity.flow_snippet_version_uuid is None:
            return entity
        sources = await self._sources(tenant_of(context), entity.flow_snippet_version_uuid)
        return _compiled(entity, sources)

    async def _sources(self, tenant: PartitionKey, snippet_version: str) -> Sources:
        """The snippet version and its prompt's active template (``None`` where missing)."""
        snippet = await self._snippets.find(tenant, (snippet_version,))
        if snippet is None:
            return None, None
        return snippet, await find_active(
            self._templates, tenant, "prompt_uuid", snippet.prompt_uuid
        )

    async def _repoint_batch(
        self, context: TenantContext, agents: Sequence[Agent], new_version_uuid: str
    ) -> None:
        """Give each active agent version of ``agents`` a new active version pointing at
        ``new_version_uuid`` (recompiled), deactivating the old one: one unit of work, each
        old version conditioned on being unchanged since it was read."""
        uow = self._store.unit_of_work()
        now = utc_now()
        sources = await self._sources(context.partition_key, new_version_uuid)  # once for all
        for agent in agents:
            moved = attrs.evolve(
                agent,
                agent_version_uuid=new_id(),
                flow_snippet_version_uuid=new_version_uuid,
                updated_at=now,
                created_at=now,
                updated_by=context.updated_by,
            )
            uow.put(_compiled(moved, sources), condition=ABSENT)
            retired = attrs.evolve(
                agent, status="inactive", updated_at=now, updated_by=context.updated_by
            )
            uow.put(retired, condition=unchanged(agent))
        await commit_or_lose(uow)


Sources = tuple[FlowSnippet | None, PromptTemplate | None]


def _compiled(agent: Agent, sources: Sources) -> Agent:
    fields = compile_agent(attrs.asdict(agent, recurse=False), *sources)
    return structure_input(Agent, fields)
