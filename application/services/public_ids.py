"""Public ids of agents, for client-side embeds: issued, listed and revoked by the owning
tenant; resolved without a tenant (``agents.resolve_public``), the one read that starts
from nothing but the id.

Resolving is one keyed read of the id (an operator's read across tenants: on PostgreSQL,
operator mode, which row-level security admits; see docs/embedding.md) plus the read of the
agent's active version. An unknown or revoked id takes the same two reads (the second on a
tenant that holds nothing), so its ``NotFound`` comes in about the time of a known one. An
id whose agent has no version left (an orphan: see :meth:`PublicIds._forget_orphan`) is
deleted before its ``NotFound``. What it answers is :class:`PublicAgent`: the server's part
(tenant, ids) and a browser's (:class:`PublicAgentView`, an allowlist).
"""

from __future__ import annotations

from typing import Any

import attrs

from aace.application.services.contention import commit_or_lose
from aace.application.services.dependents import Dependents
from aace.domain.entities import AGENTS, PUBLIC_IDS, Agent, PublicId
from aace.domain.entities.public_ids import AGENT_KIND, check_public_id, new_public_id
from aace.domain.errors import NotFound
from aace.domain.ports import ABSENT, ANY, PRESENT, Store, find_active, read_all
from aace.domain.query import Query, RangeCondition
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext, as_operator

__all__ = ["PRIVATE_PREFIX", "PublicAgent", "PublicAgentView", "PublicIds"]

#: Configuration keys starting with this are the tenant's private ones: never resolved.
PRIVATE_PREFIX = "_"
#: Who the cross-tenant read of a resolution acts as.
RESOLVER = PlatformContext(updated_by="aace resolve_public")
#: The tenant the miss path reads, so a miss costs the reads a hit does (nothing is ever
#: written under it by this package).
_NOBODY = PartitionKey("aace-public-ids", "nobody")


@attrs.frozen(kw_only=True)
class PublicAgentView:
    """What a browser may be given of an agent: an allowlist of the :class:`Agent`'s
    fields, so a field added to agents later stays out until it is added here.

    In: ``agent_name`` and ``agent_description`` (what a widget shows) and
    ``configuration`` without the keys the tenant marks private (``_…``, top level), where
    a widget's settings live. Out: the tenant (``partition_key``), ``updated_by`` (names a
    person or a service of the tenant), the internal ids (``agent_uuid``,
    ``agent_version_uuid``, ``mcp_server_uuids``, ``flow_snippet_version_uuid``: a public
    id exists so that the page carries none), ``instructions`` and ``variables`` (the
    tenant's prompt and what is filled into it), ``llm_provider`` and ``llm_name`` (which
    vendor and model the tenant pays for), ``num_of_messages`` and ``tool_call_role`` (run
    settings for the server), ``status`` (always active here), and the dates (they tell
    when the tenant works on the agent)."""

    agent_name: str
    agent_description: str | None
    configuration: dict[str, Any]

    @classmethod
    def of(cls, agent: Agent) -> PublicAgentView:
        shown = {k: v for k, v in agent.configuration.items() if not k.startswith(PRIVATE_PREFIX)}
        return cls(
            agent_name=agent.agent_name,
            agent_description=agent.agent_description,
            configuration=shown,
        )

    def as_dict(self) -> dict[str, Any]:
        """The view as JSON-ready data (what an embed's endpoint returns)."""
        return attrs.asdict(self)


@attrs.frozen(kw_only=True)
class PublicAgent:
    """What a public id resolves to. For the server: the owning tenant's ``context`` and
    the agent's ids (its stable ``agent_uuid`` and the active ``agent_version_uuid``, to
    start threads and runs or read the whole version with ``agents.get``). For a browser:
    ``view`` alone; never hand the rest to a client."""

    context: TenantContext
    agent_uuid: str
    agent_version_uuid: str
    view: PublicAgentView


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

    async def resolve(self, public_id: str) -> PublicAgent:
        """The owner and the agent's public view, or ``NotFound`` (see the module)."""
        key = (check_public_id(public_id), AGENT_KIND)
        with as_operator(RESOLVER):
            found: Any = await self._ids.find_in_any_tenant(key)
        tenant = _NOBODY if found is None else found.partition_key
        agent_uuid = public_id if found is None else found.agent_uuid
        active = await find_active(self._agents, tenant, "agent_uuid", agent_uuid)
        if found is None:
            raise NotFound("no agent has this public id")
        if active is None:
            await self._forget_orphan(found)
            raise NotFound("no agent has this public id")
        context = TenantContext(found.partition_key, updated_by="public-id")
        return PublicAgent(
            context=context,
            agent_uuid=active.agent_uuid,
            agent_version_uuid=active.agent_version_uuid,
            view=PublicAgentView.of(active),
        )

    async def _forget_orphan(self, found: PublicId) -> None:
        """Delete an id whose agent has no version left (lazy clean-up: on DynamoDB the
        cascade and the plain delete's guard find ids through an eventually consistent
        global index, so an id issued just before its agent went can outlive it)."""
        query = Query(index="agent_uuid-index", range=RangeCondition.eq(found.agent_uuid), limit=1)
        if (await self._agents.query(found.partition_key, query)).items:
            return  # versions but none active (a change under way): not an orphan
        key = (found.public_id, found.kind)
        await self._ids.delete(found.partition_key, key, condition=ANY)
