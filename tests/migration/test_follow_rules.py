"""``migrate follow`` and ``validate`` rules from the memory legacy source into every adapter:
writes during and after the copy arrive, deletes stay deleted (tombstones), newer target
records win, the stream's shards, expired iterators and trimmed changes; validation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from aace.adapters.memory.legacy import MemoryLegacySource
from aace.application.migration.follow import FollowOptions, follow
from aace.application.migration.legacy import run
from aace.application.migration.validate import validate
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, MCP_SERVERS, MESSAGES, RUNS
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.legacy_source import StreamBatch, StreamTrimmed
from aace.domain.migration import LegacyTable, table_named
from aace.domain.ports import Condition
from aace.domain.tenancy import PartitionKey
from tests.factories import new_id, sample
from tests.migration.conftest import MemoryLegacy, memory_legacy, opened, options
from tests.migration.faults import FailingStore
from tests.migration.legacy import orphan_message
from tests.migration.scenarios import OnPage, changes, later
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

#: ``timeout``: a guard against a hang only; convergence is reached by the tool's own passes.
CONVERGE = FollowOptions(until_converged=True, timeout=60, poll=0)
ONCE = FollowOptions(once=True)
HOURS_2 = timedelta(hours=2)
AGENT, MCP, MESSAGE, RUN = (table_named(s.name) for s in (AGENTS, MCP_SERVERS, MESSAGES, RUNS))


async def test_writes_during_and_after_the_run_arrive_and_deletes_stay_deleted(
    memory: MemoryLegacy, target: Settings
) -> None:
    during = OnPage(3, lambda: changes(memory, 0))
    async with opened(target) as store:
        report = await run(memory.source, target, options(), progress=during, store=store)
        assert during.acted  # the old code wrote while the copy ran
        changes(memory, 1)  # and after it
        followed = await follow(memory.source, target, CONVERGE, store=store)
        assert followed.converged, followed.to_json()
        assert report.ok, report.to_json()
        assert followed.ok, followed.to_json()
        assert await contents(store) == expected_contents(memory.data)


async def test_a_record_the_copy_writes_after_its_deletion_is_gone_once_follow_caught_up(
    memory: MemoryLegacy, target: Settings
) -> None:
    tables = ["agents", "mcp_servers"]
    async with opened(target) as store:
        with pytest.raises(StorageUnavailable):  # the copy stops before it is done
            await run(
                memory.source, target, options(page_size=2), tables, store=FailingStore(store, 4)
            )
        deleted = memory.data.expected["mcp_servers"][0]
        memory.data.delete(MCP, deleted)
        await follow(memory.source, target, ONCE, tables, store=store)
        # the copy had read the record before its deletion and writes it only now
        stale = Condition.not_newer("updated_at", deleted.updated_at)
        await store.repository(MCP_SERVERS).put(deleted, condition=stale)
        key = MCP_SERVERS.key_of(deleted)
        assert await store.repository(MCP_SERVERS).find(deleted.partition_key, key) == deleted
        resumed = options(page_size=2, resume=True)
        await run(memory.source, target, resumed, tables, store=store)
        report = await follow(memory.source, target, CONVERGE, tables, store=store)
        assert report.converged, report.to_json()
        assert "deletes applied again once the copy was done: 1" in report.notes
        assert await store.repository(MCP_SERVERS).find(deleted.partition_key, key) is None
        assert await contents(store) == expected_contents(memory.data, only=tuple(tables))


async def test_a_target_record_newer_than_the_source_is_never_overwritten_or_deleted(
    memory: MemoryLegacy, target: Settings
) -> None:
    tables = ["agents", "mcp_servers"]
    agent = memory.data.expected["agents"][0]
    server = memory.data.expected["mcp_servers"][1]
    async with opened(target) as store:
        await run(memory.source, target, options(), tables, store=store)
        newer_agent = attrs.evolve(
            agent, agent_name="changed in the target", updated_at=agent.updated_at + timedelta(1)
        )
        newer_server = attrs.evolve(server, updated_at=server.updated_at + timedelta(days=1))
        await store.repository(AGENTS).put(newer_agent)
        await store.repository(MCP_SERVERS).put(newer_server)
        memory.data.put(AGENT, later(agent, AGENTS, agent_name="older change"))
        memory.data.delete(MCP, server)
        report = await follow(memory.source, target, ONCE, tables, store=store)
        # the streams hold every change since the tables were made: the agent's insert and
        # its older change, the server's insert and its delete meet newer target records
        assert report.tables["agents"].total.skipped == 2
        assert report.tables["mcp_servers"].total.skipped == 2
        agents, servers = store.repository(AGENTS), store.repository(MCP_SERVERS)
        assert await agents.get(agent.partition_key, AGENTS.key_of(agent)) == newer_agent
        found = await servers.get(server.partition_key, MCP_SERVERS.key_of(server))
        assert found == newer_server


async def test_follow_needs_a_stream_and_a_run_of_its_job(
    memory: MemoryLegacy, target: Settings
) -> None:
    silent = memory_legacy(stream=False)
    async with opened(target) as store:
        await run(silent.source, target, options(), ["agents"], store=store, without_stream=True)
        with pytest.raises(ValidationError) as refused:
            await follow(silent.source, target, ONCE, ["agents", "runs"], store=store)
        assert refused.value.field == "from"
        assert "these tables have no NEW_AND_OLD_IMAGES stream: agents, runs" in str(refused.value)
        with pytest.raises(ValidationError) as unrun:
            await follow(
                memory.source, target, FollowOptions(job=new_id(), once=True), store=store
            )
        assert unrun.value.field == "job"
        with pytest.raises(ValidationError) as streamless:
            await follow(memory.source, target, ONCE, ["agents"], store=store)
        assert "was run without streams (--without-stream)" in str(streamless.value)


async def test_in_place_a_missing_table_and_a_refused_record_do_not_keep_follow_from_converging(
    target: Settings,
) -> None:
    legacy = memory_legacy(at=target)
    legacy.source.drop_table(table_named("fine_tuning_messages"))
    orphan_message(legacy.source)
    tables = ["agents", "messages", "fine_tuning_messages"]
    async with opened(target) as store:
        report = await run(legacy.source, target, options(), tables, store=store)
        assert report.tables["messages"].total.failed == 1
        assert "fine_tuning_messages" not in report.tables
        late = legacy.data.expected["runs"][0]
        link = {"thread_uuid": late.thread_uuid, "run_uuid": late.run_uuid}
        legacy.data.put(MESSAGE, sample(MESSAGES, late.partition_key, **link))
        followed = await follow(
            legacy.source, target, CONVERGE, ["agents", "messages"], store=store
        )
        assert followed.converged, followed.to_json()
        assert followed.tables["messages"].total.written >= 1  # the late one, backfilled
        assert await legacy.source.count(MESSAGE, missing="partition_key") == 1  # the orphan


class ExpiringReads:
    """The memory source, whose shard iterators all expire before every ``every``-th read
    (as iterators kept past 15 minutes do)."""

    def __init__(self, inner: MemoryLegacySource, every: int) -> None:
        self.inner = inner
        self.every = every
        self.reads = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    async def read_shard(self, table: LegacyTable, iterator: str) -> StreamBatch:
        self.reads += 1
        if self.reads % self.every == 0:
            self.inner.expire_iterators()
        return await self.inner.read_shard(table, iterator)


async def test_split_shards_are_followed_and_expired_iterators_renewed(
    memory: MemoryLegacy,
) -> None:
    target = Settings(storage_url="memory://")
    source = ExpiringReads(memory.source, every=2)
    agent = memory.data.expected["agents"][0]
    async with opened(target) as store:
        await run(source, target, options(), ["agents"], store=store)
        memory.data.put(AGENT, later(agent, AGENTS, agent_name="first"))
        memory.source.split_shard(AGENT)
        second = attrs.evolve(agent, agent_name="second", updated_at=agent.updated_at + HOURS_2)
        memory.data.put(AGENT, second)
        await follow(source, target, ONCE, ["agents"], store=store)
        memory.source.split_shard(AGENT)
        final = attrs.evolve(agent, agent_name="last", updated_at=agent.updated_at + timedelta(3))
        memory.data.put(AGENT, final)
        report = await follow(source, target, CONVERGE, ["agents"], store=store)
        assert report.converged, report.to_json()
        assert report.ok, report.to_json()
        assert source.reads > 4  # and every other read met an expired iterator
        assert await contents(store) == expected_contents(memory.data, only=("agents",))


async def test_changes_the_stream_no_longer_holds_stop_follow(memory: MemoryLegacy) -> None:
    target = Settings(storage_url="memory://")
    async with opened(target) as store:
        await run(memory.source, target, options(), ["agents"], store=store)
        await follow(memory.source, target, ONCE, ["agents"], store=store)
        agent = memory.data.expected["agents"][0]
        memory.data.put(AGENT, later(agent, AGENTS, agent_name="lost"))
        memory.source.trim_stream(AGENT)  # 24 hours pass before follow runs again
        with pytest.raises(StreamTrimmed) as lost:
            await follow(memory.source, target, ONCE, ["agents"], store=store)
        assert "changes were lost to this job" in str(lost.value)


async def test_a_clean_run_validates_and_a_changed_or_missing_target_record_is_named(
    memory: MemoryLegacy, target: Settings
) -> None:
    async with opened(target) as store:
        await run(memory.source, target, options(), store=store)
        result = await validate(memory.source, target, full=True, store=store)
        assert result.ok, result.as_dict()
        agents = result.as_dict()["tables"]["agents"]
        assert agents["compared"] == agents["source"] == agents["target"] == 9
        assert set(agents["tenants"]) == {f"{e}#{e}" for e in memory.endpoints}
        sampled = await validate(memory.source, target, ["agents"], sample=4, store=store)
        assert sampled.tables["agents"].compared == 4
        first, second = memory.data.expected["agents"][:2]
        await store.repository(AGENTS).put(attrs.evolve(first, agent_name="tampered"))
        await store.repository(AGENTS).delete(second.partition_key, AGENTS.key_of(second))
        result = await validate(memory.source, target, ["agents", "threads"], store=store)
    assert not result.ok
    assert result.tables["threads"].ok
    problems = {str(p["key"]): p["reason"] for p in result.tables["agents"].problems}
    assert problems[str([first.agent_version_uuid])] == "differs in agent_name"
    assert problems[str([second.agent_version_uuid])] == "missing in the target"
    assert problems[str({"tenant": str(second.partition_key)})] == "source has 3, target 2"


async def test_a_backfilled_table_with_a_record_left_without_its_tenant_fails(
    target: Settings,
) -> None:
    legacy = memory_legacy(at=target)
    async with opened(target) as store:
        await run(legacy.source, target, options(), ["threads", "runs"], store=store)
        checked = await validate(legacy.source, target, ["threads", "runs"], store=store)
        assert checked.ok, checked.as_dict()
        late = sample(RUNS, PartitionKey(legacy.endpoints[0], legacy.endpoints[0]))
        legacy.data.put(RUN, late)  # the old code, after the run
        result = await validate(legacy.source, target, ["runs"], store=store)
    (problem,) = result.tables["runs"].problems
    assert problem == {
        "key": {"thread_uuid": late.thread_uuid, "run_uuid": late.run_uuid},
        "reason": "not backfilled: no partition_key, part_id",
    }
