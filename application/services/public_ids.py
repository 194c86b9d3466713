"""Public ids of agents, for client-side embeds: issued, listed and revoked by the owning
tenant; resolved without a tenant (``agents.resolve_public``), the one read that starts
from nothing but the id.

Resolving is one keyed read of the id (an operator's read across tenants: on PostgreSQL,
operator mode, which row-level security admits; see docs/embedding.md) plus the read of the
agent's active version. An unknown or revoked id takes the same two reads (the second on a
tenant that holds nothing), so its ``NotFound`` comes in about the time of a known one.
"""

from __future__ import annotations

from typing import Any

import attrs

from aace.application.services.contention import commit_or_lose
from aace.application.services.dependents import Dependents
from aace.domain.entities import AGENTS, PUBLIC_IDS, Agent, PublicId
from aace.domain.entities.public_ids import AGENT_KIND, check_public_id, new_public_id
from aace.domain.errors import NotFound
from aace.domain.ports import ABSENT, PRESENT, Store, find_active, read_all
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext, as_operator

__all__ = ["PRIVATE_PREFIX", "PublicIds", "ResolvedAgent", "public_configuration"]

#: Configuration keys starting with this are the tenant's private ones: never resolved.
PRIVATE_PREFIX = "_"
#: Who the cross-tenant read of a resolution acts as.
RESOLVER = PlatformContext(updated_by="aace resolve_public")
#: The tenant the miss path reads, so a miss costs the reads a hit does (nothing is ever
#: written under it by this package).
_NOBODY = PartitionKey("aace-public-ids", "nobody")


@attrs.frozen
class ResolvedAgent:
    """What a public id resolves to: the owning tenant's context and the agent's public
    view (its active version, private configuration left out)."""

    context: TenantContext
    agent: Agent


def public_configuration(agent: Agent) -> Agent:
    """``agent`` without the configuration keys the tenant marks private (``_…``)."""
    shown = {k: v for k, v in agent.configuration.items() if not k.startswith(PRIVATE_PREFIX)}
    return attrs.evolve(agent, configuration=shown)


class PublicIds:
    """The public ids of one store's agents."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._ids = store.repository(PUBLIC_IDS)
        self._agents = store.repository(AGENTS)
        self._dependents = Dependents(store)

    async def issue(self, context: TenantContext, agent_uuid: str) -> str:
        """A new public id of the tenant's agent ``agent_uuid`` (``NotFound`` when it has no
        active version), written on the condition that the version is still active."""
        record = PublicId(
            partition_key=context.partition_key,
            updated_by=context.updated_by,
            public_id=new_public_id(),
            kind=AGENT_KIND,
            agent_uuid=agent_uuid,
        )
        uow = self._store.unit_of_work()
        await self._dependents.require_parents(uow, PUBLIC_IDS, record)
        uow.put(record, condition=ABSENT)
        await commit_or_lose(uow)
        return record.public_id

    async def revoke(self, context: TenantContext, public_id: str) -> None:
        """Delete the tenant's public id (``NotFound`` for an id it does not own)."""
        key = (check_public_id(public_id), AGENT_KIND)
        await self._ids.delete(context.partition_key, key, condition=PRESENT)

    async def of(self, context: TenantContext, agent_uuid: str) -> list[PublicId]:
        """Every public id of the tenant's agent ``agent_uuid`` (none: ``[]``)."""
        query = Query(index="partition_key-agent_uuid-index", range=RangeCondition.eq(agent_uuid))
        return await read_all(self._ids, context.partition_key, query)

    async def resolve(self, public_id: str) -> ResolvedAgent:
        """The owner and the agent's public view, or ``NotFound`` (see the module)."""
        key = (check_public_id(public_id), AGENT_KIND)
        with as_operator(RESOLVER):
            found: Any = await self._ids.find_in_any_tenant(key)
        tenant = _NOBODY if found is None else found.partition_key
        agent_uuid = public_id if found is None else found.agent_uuid
        active = await find_active(self._agents, tenant, "agent_uuid", agent_uuid)
        if found is None or active is None:
            raise NotFound("no agent has this public id")
        context = TenantContext(found.partition_key, updated_by="public-id")
        return ResolvedAgent(context, public_configuration(active))
