"""``run``'s bulk path from the memory source into every adapter: the write fence (bulk into an
empty DynamoDB table, the conditional path into one that holds records), SQL's newer-wins
multi-row upserts, the requests a page costs, follow's replay of a bulk-copied table, and the
wire re-keying that gives what the entity round trip gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import attrs
import pytest

from aace.adapters.dynamodb.bulk_writer import WireRekey
from aace.adapters.dynamodb.codec import ItemCodec
from aace.adapters.dynamodb.models import build_model
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.application.migration.batched import page_writer
from aace.application.migration.follow import FollowOptions, follow
from aace.application.migration.legacy import run
from aace.application.migration.state import JobState
from aace.application.settings import Settings
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageUnavailable
from aace.domain.migration import LEGACY_TABLES, Treatment, migrated, rekeying, table_named
from aace.domain.records import from_record, to_record
from aace.domain.schema import TableNames
from aace.domain.tenancy import PartitionKey
from tests.backends import settings_opener
from tests.factories import sample
from tests.migration.conftest import MemoryLegacy, opened, options
from tests.migration.faults import FailingStore
from tests.migration.legacy import legacy_record, to_wire
from tests.migration.scenarios import later
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

AGENT = table_named("agents")
CONVERGE = FollowOptions(until_converged=True, timeout=60, poll=0.05)


@pytest.fixture
async def dynamodb_target(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    async with settings_opener("dynamodb")(request) as settings:
        yield settings


class Counting:
    """A store whose bulk writers are kept, to count their requests."""

    def __init__(self, store: Any) -> None:
        self._inner = store
        self.writers: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def migration_writer(self, schema: Any, copies: int, in_flight: int) -> Any:
        writer = page_writer(self._inner, schema, copies, in_flight)
        if writer is not None:
            self.writers.append(writer)
        return writer


async def test_an_empty_target_is_copied_in_bulk_requests_behind_a_fence(
    memory: MemoryLegacy, target: Settings
) -> None:
    records = len(memory.data.expected["agents"])
    async with opened(target) as store:
        counting = Counting(store)
        report = await run(memory.source, target, options(page_size=5), ["agents"], store=counting)
        assert report.ok, report.to_json()
        assert report.total.written == records
        fence = await JobState(store, "migrate").get("fence/agents")
        if target.storage_url == "memory://":
            assert counting.writers == []  # the conditional path
            assert fence is None
        else:
            (writer,) = counting.writers
            pages = -(-records // 5) + 2  # a page per 5 records of a segment, at most
            assert 0 < writer.requests <= pages
            bulk = target.storage_url.startswith("dynamodb")
            if bulk:
                assert fence is not None
                assert fence == {"bulk": True, "at": fence["at"]}
            else:
                assert fence is None
        assert await contents(store) == expected_contents(memory.data, only=("agents",))


async def test_a_target_holding_a_newer_record_keeps_it(
    memory: MemoryLegacy, target: Settings
) -> None:
    """DynamoDB: the fence says conditional (the table was not empty); SQL: the upsert's
    newer-wins condition; memory: the conditional path."""
    agent = memory.data.expected["agents"][0]
    newer = attrs.evolve(agent, agent_name="newer", updated_at=agent.updated_at + timedelta(1))
    async with opened(target) as store:
        await store.repository(AGENTS).put(newer)
        report = await run(memory.source, target, options(), ["agents"], store=store)
        assert report.ok, report.to_json()
        assert report.tables["agents"].total.skipped == 1
        assert (
            await store.repository(AGENTS).get(agent.partition_key, AGENTS.key_of(agent)) == newer
        )
        fence = await JobState(store, "migrate").get("fence/agents")
        if target.storage_url.startswith("dynamodb"):
            assert fence is not None
            assert fence["bulk"] is False


async def test_a_change_the_bulk_copy_overwrote_arrives_again_once_the_copy_is_done(
    memory: MemoryLegacy, dynamodb_target: Settings
) -> None:
    """follow applies a change mid-copy; a copy that had read the record before writes the
    older version over it (unconditionally); once the copy is done, follow replays the
    table's stream and the change is back."""
    target = dynamodb_target
    async with opened(target) as store:
        # the job, its fence, pages 1 and 2 (their state is saved while the next page is
        # written: page 1's), then the copy stops: page 1 is done, page 2 will be redone
        with pytest.raises(StorageUnavailable):
            await run(
                memory.source,
                target,
                options(segments=1, page_size=2),
                ["agents"],
                store=FailingStore(store, 8),
            )
        first = min(memory.data.expected["agents"], key=_legacy_key)  # in page 1
        assert to_record(AGENTS, first) in (await contents(store))["agents"]
        changed = later(first, AGENTS, agent_name="changed by the old code")
        memory.data.put(AGENT, changed)
        await follow(memory.source, target, FollowOptions(once=True), ["agents"], store=store)
        key = AGENTS.key_of(first)
        assert await store.repository(AGENTS).get(first.partition_key, key) == changed
        writer = page_writer(store, AGENTS, 1, 1)  # the copy's stale write, as it lands
        await writer.write([writer.codec.encode(to_record(AGENTS, first))])
        resumed = options(segments=1, page_size=2, resume=True)
        assert (await run(memory.source, target, resumed, ["agents"], store=store)).ok
        report = await follow(memory.source, target, CONVERGE, ["agents"], store=store)
        assert report.converged, report.to_json()
        assert await store.repository(AGENTS).get(first.partition_key, key) == changed
        assert await contents(store) == expected_contents(memory.data, only=("agents",))


def _legacy_key(agent: Any) -> tuple[str, str]:
    return agent.partition_key.endpoint_id, agent.agent_version_uuid


def test_wire_re_keying_gives_what_the_entity_round_trip_gives() -> None:
    """For a legacy record of every table with a tenant, written by the old code: the item
    re-keyed on the wire decodes to the entity ``migrated`` builds; a record another writer
    left (with its partition_key), or missing what the new layout writes, is not re-keyed."""
    settings = DynamoSettings(endpoint_url=None, region="eu-west-1", table_names=TableNames())
    tenant = PartitionKey("acme", "acme")
    for table in LEGACY_TABLES:
        rule = rekeying(table)
        if rule is None:
            assert table.treatment is Treatment.REGISTRY
            continue
        codec = ItemCodec(table.schema, build_model(table.schema, settings))
        record = legacy_record(table, sample(table.schema, tenant))
        if table.parent is not None:  # no tenant of its own: its parent's
            parent = PartitionKey("acme", "emea")
            found, item = WireRekey(rule, codec)(to_wire(record), parent) or ("", {})
            assert found == "acme#emea", table.name
            decoded = from_record(table.schema, codec.decode(item))
            assert decoded == migrated(table, record, parent), table.name
        record.setdefault("endpoint_id", "acme")
        done = WireRekey(rule, codec)(to_wire(record))
        assert done is not None, table.name
        found, item = done
        assert found == "acme#acme"
        decoded = from_record(table.schema, codec.decode(item))
        assert decoded == migrated(table, record), table.name
        assert WireRekey(rule, codec)(to_wire({**record, "partition_key": "acme#acme"})) is None
        dated = table.schema.version_field
        assert WireRekey(rule, codec)(to_wire({**record, dated: None})) is None
        unknown = WireRekey(rule, codec)(to_wire({**record, "not_an_attribute": "x"}))
        assert unknown is None
        for index in table.schema.indexes:  # DynamoDB refuses an empty index key
            empty = {**record, index.hash_key: ""}
            assert WireRekey(rule, codec)(to_wire(empty)) is None, (table.name, index.name)
