"""What a store holds, table by table, to compare a migrated target with what it should be."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from aace.application.container import open_store
from aace.application.migration.counters import scan_all
from aace.application.migration.state import OPERATOR
from aace.application.services.agents import AGENT_COUNTER
from aace.application.settings import Settings
from aace.domain.entities import ALL_SCHEMAS, MIGRATION_STATE, TENANT_COUNTERS
from aace.domain.ports import Store
from aace.domain.records import to_record
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import as_operator
from tests.migration.legacy import LegacyData

__all__ = ["contents", "expected_contents"]

Contents = dict[str, list[dict[str, Any]]]


def _sorted(schema: EntitySchema[Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(records, key=lambda r: (str(r[schema.hash_key]), str(r[schema.range_key])))


def _comparable(schema: EntitySchema[Any], entity: Any) -> dict[str, Any]:
    record = to_record(schema, entity)
    if schema is TENANT_COUNTERS:
        record.pop("updated_at")  # when it was counted
    return record


async def contents(where: Settings | Store) -> Contents:
    """Every record of every table but the jobs' state, by table (empty tables left out), of
    the store ``where`` names (or of that open store)."""
    if not isinstance(where, Settings):
        return await _contents(where)
    store = await open_store(where)
    try:
        return await _contents(store)
    finally:
        await store.close()


async def _contents(store: Store) -> Contents:
    found: Contents = {}
    with as_operator(OPERATOR):  # every tenant's records
        for schema in ALL_SCHEMAS:
            if schema is MIGRATION_STATE:
                continue
            records = [_comparable(schema, e) async for e in scan_all(store, schema)]
            if records:
                found[schema.name] = _sorted(schema, records)
    return found


def expected_contents(data: LegacyData, *, only: tuple[str, ...] = ()) -> Contents:
    """What a clean migration of ``data`` (``only`` these tables, if given) gives: every
    entity, and a counter of distinct agents per tenant."""
    from aace.domain.entities import TenantCounter, schema_named

    expected: Contents = {}
    agents: dict[Any, set[str]] = defaultdict(set)
    for name, entities in data.expected.items():
        if only and name not in only:
            continue
        schema = schema_named(name)
        expected[name] = _sorted(schema, [_comparable(schema, e) for e in entities])
        if name == "agents":
            for agent in entities:
                agents[agent.partition_key].add(agent.agent_uuid)
    counters = [
        _comparable(
            TENANT_COUNTERS,
            TenantCounter(partition_key=tenant, counter_name=AGENT_COUNTER, value=len(uuids)),
        )
        for tenant, uuids in agents.items()
    ]
    if counters:
        expected["tenant_counters"] = _sorted(TENANT_COUNTERS, counters)
    return expected
