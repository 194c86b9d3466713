"""Agents: versioned, idempotent, limited per tenant (behaviour.md §3-5, §9)."""

from __future__ import annotations

import uuid

import attrs

from aace.application.services.arguments import (
    Cursor,
    Id,
    Input,
    OptionalId,
    PageSize,
    checked_entry_points,
)
from aace.application.services.contention import (
    DEFAULT_CONTENTION_DEADLINE,
    WriterQueues,
    commit_or_lose,
    contention_policy,
    settle,
)
from aace.application.services.idempotency import Idempotency
from aace.application.services.inputs import MANAGED_FIELDS, build_entity, refuse_managed
from aace.domain.entities import AGENTS, THREADS, Agent
from aace.domain.errors import HasDependents, NotFound
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, Condition, Store, UnitOfWork
from aace.domain.query import MAX_PAGE_SIZE, Page, Query, RangeCondition
from aace.domain.tenancy import TenantContext

__all__ = ["AGENT_COUNTER", "AgentService"]

#: The tenant counter holding the number of distinct agents (not versions).
AGENT_COUNTER = "agents"
_VERSION_FIELDS = frozenset({"agent_uuid", "agent_version_uuid", "status"})


def _new_id() -> str:
    return str(uuid.uuid4())


@checked_entry_points
class AgentService:
    """Create, version, activate, list and delete agents for one tenant at a time.

    Every change of versions is one unit of work whose conditions re-check what was read,
    so under any interleaving a tenant's agent has exactly one active version; a change that
    loses a race reads again and retries with jittered backoff until the contention deadline
    (``ConditionFailed`` after it).
    """

    def __init__(
        self,
        store: Store,
        max_agents_per_tenant: int | None = None,
        *,
        contention_deadline: float = DEFAULT_CONTENTION_DEADLINE,
    ) -> None:
        self._store = store
        self._agents = store.repository(AGENTS)
        self._threads = store.repository(THREADS)
        self._idempotency = Idempotency(store)
        self._limit = max_agents_per_tenant
        self._contention = contention_policy(contention_deadline)
        self._writers = WriterQueues()

    async def create(
        self,
        context: TenantContext,
        data: Input,
        *,
        idempotency_key: OptionalId = None,
    ) -> Agent:
        """A new agent whose first version is active. A repeated ``idempotency_key`` with
        the same input returns the first result and writes nothing."""
        agent = build_entity(
            Agent,
            context,
            data,
            managed={"agent_uuid": _new_id(), "agent_version_uuid": _new_id(), "status": "active"},
        )
        uow = self._store.unit_of_work()
        uow.put(agent, condition=ABSENT)
        uow.increment(context.partition_key, AGENT_COUNTER, 1, limit=self._limit)
        created: Agent = await self._idempotency.commit_once(
            context, idempotency_key, "agents.create", data, uow, agent
        )
        return created

    async def new_version(self, context: TenantContext, agent_uuid: Id, changes: Input) -> Agent:
        """Copy the active version, apply ``changes``, save it as the active version and
        mark every other version inactive, atomically."""
        refuse_managed(changes, _VERSION_FIELDS)  # before any read

        async def attempt() -> Agent:
            versions = await self.versions(context, agent_uuid)
            base = _active_of(versions)
            fields = {
                k: v
                for k, v in attrs.asdict(base, recurse=False).items()
                if k not in MANAGED_FIELDS and k not in _VERSION_FIELDS
            }
            agent = build_entity(
                Agent,
                context,
                {**fields, **changes},
                managed={
                    "agent_uuid": agent_uuid,
                    "agent_version_uuid": _new_id(),
                    "status": "active",
                },
            )
            uow = self._store.unit_of_work()
            uow.put(agent, condition=ABSENT)
            self._deactivate(uow, context, versions, keep=None)
            await commit_or_lose(uow)
            return agent

        async with self._writers((context.partition_key, agent_uuid)):
            return await settle(self._contention, attempt, f"agent {agent_uuid}")

    async def activate(self, context: TenantContext, agent_version_uuid: Id) -> Agent:
        """Make this version the active one and deactivate the others, atomically."""

        async def attempt() -> Agent:
            target = await self._agents.get(context.partition_key, (agent_version_uuid,))
            if target.status == "active":
                return target
            versions = await self.versions(context, target.agent_uuid)
            activated = attrs.evolve(
                target, status="active", updated_at=utc_now(), updated_by=context.updated_by
            )
            uow = self._store.unit_of_work()
            uow.put(activated, condition=_unchanged(target))
            self._deactivate(uow, context, versions, keep=agent_version_uuid)
            await commit_or_lose(uow)
            return activated

        return await settle(self._contention, attempt, f"agent version {agent_version_uuid}")

    async def delete_version(self, context: TenantContext, agent_version_uuid: Id) -> None:
        """Delete one version. Deleting the active one promotes the most recently updated
        remaining version; deleting the last one deletes the agent (refused with
        ``HasDependents`` while it has threads) and frees its slot in the tenant's limit."""
        tenant = context.partition_key

        async def attempt() -> None:
            target = await self._agents.get(tenant, (agent_version_uuid,))
            versions = await self.versions(context, target.agent_uuid)
            remaining = [v for v in versions if v.agent_version_uuid != agent_version_uuid]
            if not remaining:
                threads = Query(
                    index="agent_uuid-index", range=RangeCondition.eq(target.agent_uuid)
                )
                if await self._threads.count(tenant, threads):
                    raise HasDependents(f"agent {target.agent_uuid} still has threads")
            uow = self._store.unit_of_work()
            uow.delete(AGENTS, tenant, (agent_version_uuid,), condition=_unchanged(target))
            if not remaining:
                uow.increment(tenant, AGENT_COUNTER, -1)
            elif target.status == "active":
                heir = max(remaining, key=lambda v: v.updated_at)
                uow.put(
                    attrs.evolve(
                        heir, status="active", updated_at=utc_now(), updated_by=context.updated_by
                    ),
                    condition=_unchanged(heir),
                )
            await commit_or_lose(uow)

        await settle(self._contention, attempt, f"agent version {agent_version_uuid}")

    async def get(self, context: TenantContext, agent_version_uuid: Id) -> Agent:
        """One version, or ``NotFound``."""
        return await self._agents.get(context.partition_key, (agent_version_uuid,))

    async def active(self, context: TenantContext, agent_uuid: Id) -> Agent:
        """The active version of an agent, or ``NotFound``."""
        return _active_of(await self.versions(context, agent_uuid))

    async def versions(self, context: TenantContext, agent_uuid: Id) -> list[Agent]:
        """Every version of an agent (``NotFound`` when it has none)."""
        query = Query(
            index="agent_uuid-index", range=RangeCondition.eq(agent_uuid), limit=MAX_PAGE_SIZE
        )
        page = await self._agents.query(context.partition_key, query)
        versions = list(page.items)
        while page.next_cursor is not None:
            page = await self._agents.query(
                context.partition_key, attrs.evolve(query, cursor=page.next_cursor)
            )
            versions.extend(page.items)
        if not versions:
            raise NotFound(f"agent {agent_uuid} not found")
        return versions

    async def list_active(
        self, context: TenantContext, *, limit: PageSize = 50, cursor: Cursor = None
    ) -> Page[Agent]:
        """The active version of each agent, most recently updated first."""
        return await self._agents.query(context.partition_key, _active_listing(limit, cursor))

    async def count(self, context: TenantContext) -> int:
        """How many agents (active versions) the tenant has."""
        return await self._agents.count(context.partition_key, _active_listing(1, None))

    @staticmethod
    def _deactivate(
        uow: UnitOfWork, context: TenantContext, versions: list[Agent], keep: str | None
    ) -> None:
        for version in versions:
            if version.status == "active" and version.agent_version_uuid != keep:
                uow.put(
                    attrs.evolve(
                        version,
                        status="inactive",
                        updated_at=utc_now(),
                        updated_by=context.updated_by,
                    ),
                    condition=_unchanged(version),
                )


def _unchanged(version: Agent) -> Condition:
    """The version is still as it was read (status and last update)."""
    return Condition.present(status=version.status, updated_at=version.updated_at)


def _active_of(versions: list[Agent]) -> Agent:
    for version in versions:
        if version.status == "active":
            return version
    # Only reachable for data written outside this package: prefer the latest version.
    return max(versions, key=lambda v: v.updated_at)


def _active_listing(limit: int, cursor: str | None) -> Query:
    return Query(
        index="updated_at-index",
        descending=True,
        filters={"status": "active"},
        limit=limit,
        cursor=cursor,
    )
