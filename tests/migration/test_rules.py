"""``migrate plan`` and ``run`` rules from the memory legacy source into every adapter: the
transform, the tenant from the parent, backfills in place, refusals, dry runs, resumes."""

from __future__ import annotations

import random

import pytest

from aace.application.migration.legacy import plan, run
from aace.application.migration.state import JobState
from aace.application.settings import Settings
from aace.domain.entities import MESSAGES, RUNS
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.migration import table_named
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.migration.conftest import (
    PATHS,
    MemoryLegacy,
    fence,
    memory_legacy,
    opened,
    options,
)
from tests.migration.faults import FailingStore
from tests.migration.legacy import orphan_message
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

RUNS_TABLE, MESSAGES_TABLE, AGENTS_TABLE = (table_named(n) for n in ("runs", "messages", "agents"))
INJECTED = 16
#: A table of every kind: re-keyed (with counters), backfilled, tenant from the parent, registry.
SOME = ("agents", "runs", "messages", "sessions", "session_agents", "llms")


async def test_a_clean_run_copies_every_table_into_the_new_layout(
    memory: MemoryLegacy, target: Settings
) -> None:
    plans = {p.table.name: p for p in await plan(memory.source, target)}
    assert plans["runs"].action == "copy with tenant attrs"
    assert plans["messages"].action == "copy with tenant attrs (tenant from runs)"
    assert plans["agents"].tenants == len(memory.endpoints)
    async with opened(target) as store:
        report = await run(memory.source, target, options(), store=store)
        assert report.ok, report.to_json()
        assert report.total.read == report.total.written == memory.data.count
        assert await contents(store) == expected_contents(memory.data)
    for endpoint in memory.endpoints:
        tally = report.tables["agents"].tenants[f"{endpoint}#{endpoint}"]
        assert (tally.read, tally.written, tally.failed) == (3, 3, 0)


async def test_in_place_child_tables_are_backfilled_and_a_second_run_changes_nothing(
    target: Settings,
) -> None:
    legacy = memory_legacy(at=target)
    async with opened(target) as store:
        first = await run(legacy.source, target, options(), store=store)
        assert first.ok, first.to_json()
        assert first.tables["runs"].treatment == "backfill in place"
        assert first.tables["messages"].treatment == "backfill in place (tenant from runs)"
        assert first.tables["llms"].total.skipped == first.tables["llms"].total.read == 3
        assert first.tables["agents"].total.written == 9  # re-keyed: into the target
        stored = legacy.source.items(MESSAGES_TABLE)
        assert all(item["partition_key"].count("#") == 1 for item in stored)
        expected = {
            to_record(MESSAGES, m)["message_uuid"]: str(m.partition_key)
            for m in legacy.data.expected["messages"]
        }
        assert {i["message_uuid"]: i["partition_key"] for i in stored} == expected
        again = await run(legacy.source, target, options(job="again"), store=store)
        assert again.ok
        for name in ("runs", "messages", "session_agents", "fine_tuning_messages"):
            table = again.tables[name].total
            assert (table.written, table.skipped) == (0, table.read), name
        assert legacy.source.items(MESSAGES_TABLE) == stored


async def test_a_message_whose_run_is_gone_is_reported_not_guessed(
    memory: MemoryLegacy, target: Settings
) -> None:
    orphan = orphan_message(memory.source)
    async with opened(target) as store:
        report = await run(memory.source, target, options(), store=store)
        messages = report.tables["messages"]
        assert (messages.total.failed, report.ok) == (1, False)
        (failure,) = messages.failures
        assert failure["key"] == {
            "thread_uuid": orphan["thread_uuid"],
            "message_uuid": orphan["message_uuid"],
        }
        assert failure["reason"] == (
            "endpoint_id: has no endpoint_id and its parent in runs was not found"
        )
        assert await contents(store) == expected_contents(memory.data)


async def test_children_take_their_parents_whole_tenant(
    memory: MemoryLegacy, target: Settings
) -> None:
    """A run the new code wrote (tenant ``ep#acme``) passes ``ep#acme`` on, not ``ep#ep``."""
    tenant = PartitionKey(memory.endpoints[0], "acme")
    parent = sample(RUNS, tenant)
    memory.source.put(RUNS_TABLE, to_record(RUNS, parent))
    link = {"thread_uuid": parent.thread_uuid, "run_uuid": parent.run_uuid}
    memory.data.put(MESSAGES_TABLE, sample(MESSAGES, tenant, **link))
    memory.data.expected["runs"].append(parent)
    async with opened(target) as store:
        report = await run(memory.source, target, options(), ["runs", "messages"], store=store)
        assert report.ok, report.to_json()
        assert report.tables["messages"].tenants[str(tenant)].written == 1
        expected = expected_contents(memory.data, only=("runs", "messages"))
        assert await contents(store) == expected


async def test_a_record_that_cannot_be_decoded_is_reported_and_the_run_goes_on(
    memory: MemoryLegacy, target: Settings
) -> None:
    agent = memory.data.expected["agents"][0]
    key = (agent.partition_key.endpoint_id, agent.agent_version_uuid)
    memory.source.update(AGENTS_TABLE, key, updated_at="2025-06-01T00:00:00Z")
    async with opened(target) as store:
        report = await run(memory.source, target, options(), ["agents"], store=store)
    (failure,) = report.tables["agents"].failures
    assert failure["key"] == {"endpoint_id": key[0], "agent_version_uuid": key[1]}
    assert failure["reason"].startswith("cannot be decoded: ")
    assert report.tables["agents"].total.written == 8


async def test_an_unknown_attribute_or_a_missing_date_is_refused_never_stripped(
    memory: MemoryLegacy, target: Settings
) -> None:
    first, second = memory.data.expected["runs"][:2]
    memory.source.update(RUNS_TABLE, (first.thread_uuid, first.run_uuid), colour="blue")
    undated = memory.source.item(RUNS_TABLE, (second.thread_uuid, second.run_uuid))
    assert undated is not None
    undated.pop("updated_at")
    memory.source.put(RUNS_TABLE, undated)
    async with opened(target) as store:
        report = await run(memory.source, target, options(), ["runs"], store=store)
    reasons = sorted(f["reason"] for f in report.tables["runs"].failures)
    assert reasons == [
        "colour: is not an attribute of the new layout",
        "updated_at: is missing: the record cannot be dated",
    ]
    assert report.tables["runs"].total.written == 7


async def test_a_partly_backfilled_record_is_completed_and_a_disagreeing_one_refused(
    target: Settings,
) -> None:
    legacy = memory_legacy(at=target)
    partial, wrong = legacy.data.expected["runs"][:2]
    legacy.source.update(
        RUNS_TABLE,
        (partial.thread_uuid, partial.run_uuid),
        partition_key=str(partial.partition_key),
    )
    legacy.source.update(RUNS_TABLE, (wrong.thread_uuid, wrong.run_uuid), partition_key="a#b")
    async with opened(target) as store:
        report = await run(legacy.source, target, options(), ["runs"], store=store)
    (failure,) = report.tables["runs"].failures
    assert failure["reason"] == f"endpoint_id: {wrong.partition_key.endpoint_id!r} disagrees " + (
        "with partition_key 'a#b'"
    )
    item = legacy.source.item(RUNS_TABLE, (partial.thread_uuid, partial.run_uuid))
    assert item is not None
    assert item["part_id"] == partial.partition_key.part_id
    assert report.tables["runs"].total.written == 8


async def test_a_dry_run_writes_nothing_not_even_checkpoints(
    memory: MemoryLegacy, target: Settings
) -> None:
    legacy = memory_legacy(at=target)
    before = {t: legacy.source.items(table_named(t)) for t in ("runs", "messages", "agents")}
    async with opened(target) as store:
        report = await run(legacy.source, target, options(dry_run=True), store=store)
        assert report.dry_run
        assert report.ok
        assert report.total.written == legacy.data.count - 9  # registries: already in place
        copied = await run(memory.source, target, options(dry_run=True), store=store)
        assert copied.ok
        assert (copied.total.read, copied.total.written) == (memory.data.count,) * 2
        assert await contents(store) == {}
        assert await JobState(store, "migrate").get("job") is None
    assert {t: legacy.source.items(table_named(t)) for t in before} == before


async def test_refusals_before_any_write(target: Settings) -> None:
    """A re-keyed table as its own target; a table not in the legacy layout; tables without
    their stream (unless the run says nothing writes to them)."""
    legacy = memory_legacy(at=target, rekeyed_apart=False)
    with pytest.raises(ValidationError) as own:
        await run(legacy.source, target, options())
    assert own.value.field == "to"
    assert "agents: " in str(own.value)
    assert "a re-keyed table needs a new one" in str(own.value)
    other = memory_legacy()
    other.source.create_table(AGENTS_TABLE, hash_key="partition_key")
    with pytest.raises(ValidationError) as layout:
        await run(other.source, target, options(), ["agents"])
    assert "hashed on partition_key, not endpoint_id: not the legacy layout" in str(layout.value)
    silent = memory_legacy(stream=False)
    with pytest.raises(ValidationError) as unfollowed:
        await run(silent.source, target, options(), ["agents", "runs"])
    assert unfollowed.value.field == "from"
    assert "these tables have no NEW_AND_OLD_IMAGES stream: agents, runs" in str(unfollowed.value)
    async with opened(target) as store:
        assert await contents(store) == {}
        done = await run(
            silent.source, target, options(), ["agents"], store=store, without_stream=True
        )
        assert done.ok
        assert done.total.written == 9


async def test_running_a_begun_job_again_needs_resume(
    memory: MemoryLegacy, target: Settings
) -> None:
    async with opened(target) as store:
        await run(memory.source, target, options(), ["agents"], store=store)
        with pytest.raises(ValidationError) as refused:
            await run(memory.source, target, options(), ["agents"], store=store)
        assert refused.value.field == "resume"
        resumed = await run(memory.source, target, options(resume=True), ["agents"], store=store)
        assert resumed.tables["agents"].total.written == 9  # the whole job's counts, kept
        with pytest.raises(ValidationError) as other:
            await run(
                memory.source, target, options(resume=True, segments=3), ["agents"], store=store
            )
        assert other.value.field == "segments"


@pytest.mark.parametrize("path", PATHS)
async def test_runs_stopped_by_a_failure_after_n_writes_and_resumed_end_as_a_clean_run(
    memory: MemoryLegacy, target: Settings, path: str
) -> None:
    """Each attempt into an empty target: many on memory (a new store every time), one on
    the adapters whose target stays. DynamoDB copies in bulk behind the write fence, or
    conditionally; SQL always writes multi-row upserts, memory conditionally."""
    if path == "conditional" and not target.storage_url.startswith("dynamodb"):
        pytest.skip("only DynamoDB has a conditional path besides its bulk one")
    expected = expected_contents(memory.data, only=SOME)
    records = sum(len(memory.data.expected[name]) for name in SOME)
    draw = random.Random(13)
    for attempt in range(INJECTED if target.storage_url == "memory://" else 1):
        writes = draw.randrange(1, records + 20)
        async with opened(target) as store:
            await fence(store, path)
            with pytest.raises(StorageUnavailable):
                await run(
                    memory.source,
                    target,
                    options(page_size=10),
                    SOME,
                    store=FailingStore(store, writes),
                )
            resumed = options(page_size=10, resume=True)
            report = await run(memory.source, target, resumed, SOME, store=store)
            assert report.ok, (attempt, writes)
            assert report.total.read == records, (attempt, writes)
            assert await contents(store) == expected, (attempt, writes)
