"""Whole-table reads a job needs, and the tenant counters a migrated store needs (legacy data
has none): distinct agents per tenant, which the agent service's limit and last-version
delete keep in step afterwards."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

from aace.domain.entities import AGENTS, TENANT_COUNTERS, TenantCounter
from aace.domain.ports import Store, read_all
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = ["count_records", "recount_agents", "recount_tenants", "scan_all"]

E = TypeVar("E")


async def scan_all(
    store: Store, schema: EntitySchema[E], *, tenant: PartitionKey | None = None
) -> AsyncIterator[E]:
    """Every record of ``schema`` (of ``tenant`` only, if given), page by page."""
    repository = store.repository(schema)
    position: str | None = None
    while True:
        page = await repository.scan(position=position, limit=1000, tenant=tenant)
        for item in page.items:
            yield item
        position = page.position
        if position is None:
            return


async def count_records(store: Store, schema: EntitySchema[Any]) -> int:
    """How many records the table holds, of every tenant (one scan)."""
    return sum([1 async for _ in scan_all(store, schema)])


async def recount_agents(store: Store) -> int:
    """Set every tenant's agent counter from one scan of its agents; the tenants counted."""
    agents: dict[PartitionKey, set[str]] = defaultdict(set)
    async for agent in scan_all(store, AGENTS):
        agents[agent.partition_key].add(agent.agent_uuid)
    for tenant, uuids in agents.items():
        await _set(store, tenant, len(uuids))
    return len(agents)


async def recount_tenants(store: Store, tenants: Iterable[PartitionKey]) -> None:
    """Set these tenants' agent counters from their agents (``follow``, after agent events)."""
    repository = store.repository(AGENTS)
    for tenant in tenants:
        agents = await read_all(repository, tenant, Query())
        await _set(store, tenant, len({a.agent_uuid for a in agents}))


async def _set(store: Store, tenant: PartitionKey, value: int) -> None:
    # imported here: the services package costs a run's start-up a quarter of a second
    from aace.application.services.agents import AGENT_COUNTER

    counter = TenantCounter(partition_key=tenant, counter_name=AGENT_COUNTER, value=value)
    await store.repository(TENANT_COUNTERS).put(counter)
