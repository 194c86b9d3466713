"""Agents: versioned, compiled from their flow snippet, limited per tenant (behaviour.md
§3-5, services.md "Agent compilation")."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import attrs
from injector import inject

from aace.application.services.arguments import Id, OptionalId, checked_entry_points
from aace.application.services.contention import commit_or_lose, settle
from aace.application.services.entity import Context, ServiceSpec, new_id, tenant_of
from aace.application.services.listing import Listing, contains, eq, nested, one_of
from aace.application.services.public_ids import PublicAgent, PublicIds
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
    PublicId,
)
from aace.domain.errors import ValidationError
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, Condition, Store, UnitOfWork, find_active
from aace.domain.records import structure_input
from aace.domain.tenancy import PartitionKey, TenantContext

__all__ = ["AGENT_COUNTER", "REPOINT_BATCH", "AgentService"]

#: The tenant counter holding the number of distinct agents (not versions).
AGENT_COUNTER = "agents"

#: Agents re-pointed per unit of work (each takes two actions): short units keep locks
#: brief and a crash loses little; the backend's atomic size bounds it too.
REPOINT_BATCH = 25

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

    #: An update recompiles only when it changes what compilation reads (so instructions a
    #: caller writes on a compiled agent stay as written).
    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        AGENTS,
        AGENT_LISTING,
        completes_on=frozenset({"flow_snippet_version_uuid", "variables"}),
    )
    versioning = Versioning("agent_uuid", "agent_name")

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._limit = settings.max_agents_per_tenant
        self._snippets = store.repository(FLOW_SNIPPETS)
        self._templates = store.repository(PROMPT_TEMPLATES)
        self._public_ids = PublicIds(store)

    # -- public ids (client-side embeds) -----------------------------------------------

    async def issue_public_id(self, context: TenantContext, agent_uuid: Id) -> str:
        """A new public id of the agent (across its versions) for a client-side embed:
        random, 192 bits, URL-safe, carrying no tenant, internal id or secret. An agent may
        have several (rotation). ``NotFound`` when the tenant has no such agent."""
        return await self._public_ids.issue(context, agent_uuid)

    async def revoke_public_id(self, context: TenantContext, public_id: Id) -> None:
        """Revoke one of the tenant's public ids: it stops resolving at once (``NotFound``
        for an id the tenant does not own)."""
        await self._public_ids.revoke(context, public_id)

    async def public_ids(self, context: TenantContext, agent_uuid: Id) -> list[PublicId]:
        """The agent's public ids (``[]`` when it has none)."""
        return await self._public_ids.of(context, agent_uuid)

    async def resolve_public(self, public_id: Id) -> PublicAgent:
        """The owning tenant's context, the active version's ids and the agent's public
        view (an allowlist: name, description, configuration without its ``_…`` keys) for a
        public id: one keyed read across tenants plus the active version's read. An
        unknown or revoked id is ``NotFound`` after the same reads (an id whose agent is
        gone is deleted first). The one read that starts without a tenant: rate-limit it at
        the edge, and cache answers briefly (a cached one outlives a revocation;
        docs/embedding.md)."""
        return await self._public_ids.resolve(public_id)

    async def _also_on_create(self, uow: UnitOfWork, context: Context, entity: Agent) -> None:
        uow.increment(tenant_of(context), AGENT_COUNTER, 1, limit=self._limit)

    def _also_on_delete(self, uow: UnitOfWork, tenant: PartitionKey) -> None:
        """An agent's last version went: its slot is free (``delete`` of another version
        writes its own unit)."""
        uow.increment(tenant, AGENT_COUNTER, -1)

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

    async def repoint(
        self,
        context: TenantContext,
        old_version_uuid: Id,
        new_version_uuid: Id,
        *,
        follow_snippet: OptionalId = None,
    ) -> int:
        """Give every agent whose active version points at flow-snippet version
        ``old_version_uuid`` a new active version pointing at ``new_version_uuid``,
        recompiled: all of them, in units of work of at most :data:`REPOINT_BATCH` agents.
        Returns how many it moved (0 at once when the two are the same version); calling it
        again after an interruption finishes the job and changes nothing twice.

        ``follow_snippet`` (the re-pointing of a version change): the
        ``flow_snippet_uuid`` of ``new_version_uuid`` (``ValidationError`` naming it when
        that version belongs to another snippet). Each unit then also requires the version
        it moves agents to to be the snippet's active version when it commits; once another
        version has become active (or the target is gone), the agents on every version this
        call moved from or to go to the version active now. So whatever the interleaving of
        activations, rollbacks and new versions (in one process or several), the last one's
        re-pointing leaves every agent on the snippet's active version, and every call
        ends."""
        if old_version_uuid == new_version_uuid:
            return 0
        route = _Route([old_version_uuid], new_version_uuid, follow_snippet)
        size = min(REPOINT_BATCH, max(1, (self._store.unit_of_work().max_actions - 1) // 2))
        moved = 0

        async def step() -> int:
            return await self._repoint_step(context, route, size)

        while True:
            count = await settle(self._contention, step, f"re-pointing agents to {route.target}")
            if count == 0:
                return moved
            moved += count

    async def _repoint_step(self, context: TenantContext, route: _Route, size: int) -> int:
        """Move one page of agents along ``route`` (0 when none is left); ``LostRace`` when
        an agent, or the target's status, changed meanwhile."""
        tenant = context.partition_key
        while True:
            sources = await self._sources(tenant, route.target)
            snippet = sources[0]
            if not route.follows:
                break
            if snippet is not None and snippet.flow_snippet_uuid != route.snippet_uuid:
                raise ValidationError(
                    "follow_snippet", f"flow snippet version {route.target} is not one of its"
                )
            if snippet is not None and snippet.status == "active":
                break
            if not await self._follow(tenant, route):
                return 0  # the snippet has no version left: nothing to point at
        for version in route.sources:
            page = await self.list(
                context, flow_snippet_version_uuid=version, statuses=["active"], limit=size
            )
            if page.items:
                await self._repoint_batch(
                    context,
                    page.items,
                    route.target,
                    sources=sources,
                    require_active=route.follows,
                )
                return len(page.items)
        return 0

    async def _follow(self, tenant: PartitionKey, route: _Route) -> bool:
        """Re-aim ``route`` at its snippet's active version (``False`` when there is none)."""
        assert route.snippet_uuid is not None
        active = await find_active(self._snippets, tenant, "flow_snippet_uuid", route.snippet_uuid)
        if active is None:
            return False
        route.retarget(active.flow_snippet_version_uuid)
        return True

    async def _repoint_batch(
        self,
        context: TenantContext,
        agents: Sequence[Agent],
        new_version_uuid: str,
        *,
        sources: Sources | None = None,
        require_active: bool = False,
    ) -> None:
        """Give each active agent version of ``agents`` a new active version pointing at
        ``new_version_uuid`` (recompiled from ``sources``, read now when not given),
        deactivating the old one: one unit of work, each old version conditioned on being
        unchanged since it was read (``require_active``: and the snippet version on being
        active)."""
        tenant = context.partition_key
        uow = self._store.unit_of_work()
        now = utc_now()
        if sources is None:
            sources = await self._sources(tenant, new_version_uuid)
        if require_active:
            uow.require(FLOW_SNIPPETS, tenant, (new_version_uuid,), condition=ACTIVE)
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


@attrs.define
class _Route:
    """Where a re-pointing moves agents: from the ``sources`` versions to ``target``; with
    ``snippet_uuid``, to whichever version of that snippet is active (:meth:`retarget`)."""

    sources: list[str]
    target: str
    snippet_uuid: str | None = None

    @property
    def follows(self) -> bool:
        return self.snippet_uuid is not None

    def retarget(self, target: str) -> None:
        """Move agents to ``target`` from now on, also those already moved to the old
        target; never from ``target`` itself (agents there are where they belong, and
        "moving" them would mint a version per step forever)."""
        if self.target not in self.sources:
            self.sources.append(self.target)
        self.target = target
        self.sources = [version for version in self.sources if version != target]


Sources = tuple[FlowSnippet | None, PromptTemplate | None]
#: A version that is its entity's active one.
ACTIVE = Condition.present(status="active")


def _compiled(agent: Agent, sources: Sources) -> Agent:
    fields = compile_agent(attrs.asdict(agent, recurse=False), *sources)
    return structure_input(Agent, fields)
