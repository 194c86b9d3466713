"""``migrate follow``: what the old code writes during and after the copy arrives; deletes
stay deleted; a newer target record is never overwritten."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import anyio
import attrs
import pytest

from aace.application.migration.endpoints import open_target
from aace.application.migration.follow import FollowOptions, follow
from aace.application.migration.legacy import run
from aace.application.migration.report import Report
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, MCP_SERVERS, MESSAGES, RUNS
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.migration import table_named
from aace.domain.ports import Condition
from aace.domain.tenancy import PartitionKey
from tests.factories import new_id, sample
from tests.migration.conftest import Legacy, options
from tests.migration.faults import FailingStore
from tests.migration.legacy import create_legacy_tables
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

CONVERGE = FollowOptions(until_converged=True, timeout=60, poll=0.2)
AGENT, MCP, MESSAGE, RUN = (table_named(s.name) for s in (AGENTS, MCP_SERVERS, MESSAGES, RUNS))


def _tenant(legacy: Legacy, number: int = 0) -> PartitionKey:
    endpoint = legacy.endpoints[number]
    return PartitionKey(endpoint, endpoint)


def _later(entity: Any, schema: Any, **changes: Any) -> Any:
    stamp = getattr(entity, schema.version_field) + timedelta(hours=1)
    return attrs.evolve(entity, **{schema.version_field: stamp, **changes})


def _changes(legacy: Legacy, client: Any, round_: int) -> None:
    """A new agent, an agent renamed, an MCP server deleted, a message added to an existing
    run and another deleted: what the old code keeps doing."""
    data = legacy.data
    tenant = _tenant(legacy, round_ % len(legacy.endpoints))
    data.put(client, AGENT, sample(AGENTS, tenant, agent_name=f"new {round_}"))
    agent = data.expected["agents"][round_]
    data.put(client, AGENT, _later(agent, AGENTS, agent_name=f"renamed {round_}"))
    data.delete(client, MCP, data.expected["mcp_servers"][0])
    run_ = data.expected["runs"][round_]
    link = {"thread_uuid": run_.thread_uuid, "run_uuid": run_.run_uuid}
    data.put(client, MESSAGE, sample(MESSAGES, run_.partition_key, **link))
    data.delete(client, MESSAGE, data.expected["messages"][round_])


async def test_writes_during_and_after_the_run_arrive_and_deletes_stay_deleted(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    finished: list[Report] = []

    async def copy() -> None:
        finished.append(await run(legacy.settings, target, options(max_wcu=150)))

    async with anyio.create_task_group() as group:
        group.start_soon(copy)
        await anyio.sleep(0.5)
        assert not finished
        _changes(legacy, client, 0)  # while the copy runs
    _changes(legacy, client, 1)  # after it
    report = await follow(legacy.settings, target, CONVERGE)
    assert report.converged, report.to_json()
    assert report.ok, report.to_json()
    assert await contents(target) == expected_contents(legacy.data)


async def test_a_record_the_copy_writes_after_its_deletion_is_gone_once_follow_caught_up(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    tables = ["agents", "mcp_servers"]
    store = await open_target(target, create=True)
    try:
        with pytest.raises(StorageUnavailable):  # the copy stops before it is done
            await run(
                legacy.settings, target, options(page_size=2), tables, store=FailingStore(store, 4)
            )
        deleted = legacy.data.expected["mcp_servers"][0]
        legacy.data.delete(client, MCP, deleted)
        await follow(legacy.settings, target, FollowOptions(once=True), tables)
        # the copy had read the record before its deletion and writes it only now
        stale = Condition.not_newer("updated_at", deleted.updated_at)
        await store.repository(MCP_SERVERS).put(deleted, condition=stale)
        key = MCP_SERVERS.key_of(deleted)
        assert await store.repository(MCP_SERVERS).find(deleted.partition_key, key) == deleted
        await run(legacy.settings, target, options(page_size=2, resume=True), tables)
        report = await follow(legacy.settings, target, CONVERGE, tables)
        assert report.converged, report.to_json()
        assert "deletes applied again once the copy was done: 1" in report.notes
        assert await store.repository(MCP_SERVERS).find(deleted.partition_key, key) is None
    finally:
        await store.close()
    assert await contents(target) == expected_contents(legacy.data, only=tuple(tables))


async def test_a_target_record_newer_than_the_source_is_never_overwritten_or_deleted(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    await run(legacy.settings, target, options(), ["agents", "mcp_servers"])
    agent = legacy.data.expected["agents"][0]
    server = legacy.data.expected["mcp_servers"][1]
    store = await open_target(target, create=False)
    try:
        newer_agent = _later(agent, AGENTS, agent_name="changed in the target")
        newer_agent = attrs.evolve(newer_agent, updated_at=agent.updated_at + timedelta(days=1))
        newer_server = attrs.evolve(server, updated_at=server.updated_at + timedelta(days=1))
        await store.repository(AGENTS).put(newer_agent)
        await store.repository(MCP_SERVERS).put(newer_server)
        legacy.data.put(client, AGENT, _later(agent, AGENTS, agent_name="older change"))
        legacy.data.delete(client, MCP, server)
        report = await follow(
            legacy.settings, target, FollowOptions(once=True), ["agents", "mcp_servers"]
        )
        # follow replays the streams from before the run: the agent's insert and its older
        # change, the server's insert and its delete meet the newer target records
        assert report.tables["agents"].total.skipped == 2
        assert report.tables["mcp_servers"].total.skipped == 2
        tenant = agent.partition_key
        assert await store.repository(AGENTS).get(tenant, AGENTS.key_of(agent)) == newer_agent
        found = await store.repository(MCP_SERVERS).get(
            server.partition_key, MCP_SERVERS.key_of(server)
        )
        assert found == newer_server
    finally:
        await store.close()


async def test_follow_refuses_tables_without_their_stream(
    dynamodb_endpoint: str,
    client: Any,
    prefixes: Callable[[], str],
    copy_target: Callable[[], Settings],
) -> None:
    from tests.migration.conftest import dynamo_settings

    prefix = prefixes()
    create_legacy_tables(client, prefix, stream=False)
    source = dynamo_settings(dynamodb_endpoint, prefix)
    target = copy_target()
    with pytest.raises(ValidationError) as unfollowed:
        await run(source, target, options(), ["agents"])
    assert unfollowed.value.field == "from"
    await run(source, target, options(), ["agents"], without_stream=True)
    with pytest.raises(ValidationError) as refused:
        await follow(source, target, FollowOptions(once=True), ["agents", "runs"])
    assert refused.value.field == "from"
    assert "agents, runs" in str(refused.value)
    assert "NEW_AND_OLD_IMAGES" in str(refused.value)


async def test_follow_needs_a_run_of_its_job_first(
    legacy: Legacy, copy_target: Callable[[], Settings]
) -> None:
    target = copy_target()
    store = await open_target(target, create=True)
    await store.close()
    with pytest.raises(ValidationError) as refused:
        await follow(legacy.settings, target, FollowOptions(job=new_id(), once=True))
    assert refused.value.field == "job"


async def test_a_missing_table_and_a_refused_record_do_not_keep_follow_from_converging(
    legacy: Legacy, client: Any
) -> None:
    from tests.migration.conftest import in_place_target
    from tests.migration.legacy import orphan_message

    client.delete_table(TableName=f"{legacy.prefix}aace-fine_tuning_messages")
    orphan_message(client, legacy.prefix)
    target = in_place_target(legacy)
    report = await run(
        legacy.settings, target, options(), ["agents", "messages", "fine_tuning_messages"]
    )
    assert report.tables["messages"].total.failed == 1
    assert "fine_tuning_messages" not in report.tables
    followed = await follow(legacy.settings, target, CONVERGE, ["agents", "messages"])
    assert followed.converged, followed.to_json()
