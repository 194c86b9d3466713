"""The migration's rules as data: tables, tenants, transform, worker shares, write budget."""

from __future__ import annotations

import anyio
import pytest

from aace.application.migration.bulk import BulkOptions, WriteBudget
from aace.domain.entities import AGENTS, LLMS, MESSAGES
from aace.domain.errors import ValidationError
from aace.domain.migration import (
    LEGACY_TABLES,
    Treatment,
    legacy_tenant,
    migrated,
    segments_of,
    table_named,
    tenant_of,
)
from aace.domain.records import to_record
from aace.domain.tenancy import PartitionKey
from tests.factories import sample


def test_every_legacy_table_has_one_treatment_as_storage_layout_md_says() -> None:
    by_treatment: dict[Treatment, set[str]] = {}
    for table in LEGACY_TABLES:
        by_treatment.setdefault(table.treatment, set()).add(table.name)
    assert by_treatment[Treatment.REKEY] == {
        "agents",
        "threads",
        "prompt_templates",
        "flow_snippets",
        "mcp_servers",
        "elements",
        "wizards",
        "wizard_groups",
        "wizard_group_filters",
        "coordinations",
    }
    assert by_treatment[Treatment.REGISTRY] == {"llms", "ui_components", "wizard_schemas"}
    assert {t.name: t.parent.parent.name for t in LEGACY_TABLES if t.parent} == {
        "messages": "runs",
        "tool_calls": "runs",
        "session_agents": "sessions",
    }
    assert table_named("agents").legacy_hash_key == "endpoint_id"
    assert table_named("runs").legacy_hash_key == "thread_uuid"
    with pytest.raises(ValidationError) as unknown:
        table_named("users")
    assert unknown.value.field == "tables"


def test_a_legacy_record_belongs_to_endpoint_hash_endpoint() -> None:
    assert str(legacy_tenant("acme")) == "acme#acme"
    agents, messages = table_named("agents"), table_named("messages")
    assert tenant_of(agents, {"endpoint_id": "acme"}) == PartitionKey("acme", "acme")
    assert tenant_of(messages, {}, PartitionKey("acme", "emea")) == PartitionKey("acme", "emea")
    assert tenant_of(messages, {"partition_key": "acme#emea"}) == PartitionKey("acme", "emea")
    with pytest.raises(ValidationError, match="its parent in runs was not found"):
        tenant_of(messages, {})


def test_the_transform_adds_agreeing_tenant_attrs_and_refuses_unknown_attributes() -> None:
    tenant = PartitionKey("acme", "acme")
    agent = sample(AGENTS, tenant)
    record = to_record(AGENTS, agent)
    legacy = {k: v for k, v in record.items() if k not in ("partition_key", "part_id")}
    assert migrated(table_named("agents"), legacy) == agent
    with pytest.raises(ValidationError) as extra:
        migrated(table_named("agents"), {**legacy, "colour": "blue"})
    assert extra.value.field == "colour"
    with pytest.raises(ValidationError) as disagreeing:
        migrated(table_named("agents"), {**legacy, "partition_key": "acme#emea", "part_id": "x"})
    assert disagreeing.value.field == "part_id"
    message = sample(MESSAGES, tenant)
    bare = {
        k: v
        for k, v in to_record(MESSAGES, message).items()
        if k not in ("partition_key", "part_id", "endpoint_id")
    }
    assert migrated(table_named("messages"), bare, tenant) == message
    llm = sample(LLMS, None)
    assert migrated(table_named("llms"), to_record(LLMS, llm)) == llm


def test_workers_share_segments_without_overlap() -> None:
    shares = [set(segments_of(worker, 3, 8)) for worker in (1, 2, 3)]
    assert set().union(*shares) == set(range(8))
    assert sum(len(share) for share in shares) == 8
    for bad, field in (
        ((0, 2, 4), "worker"),
        ((3, 2, 4), "worker"),
        ((1, 5, 4), "worker"),
        ((1, 1, 0), "segments"),
    ):
        with pytest.raises(ValidationError) as refused:
            segments_of(*bad)
        assert refused.value.field == field
    with pytest.raises(ValidationError) as budget:
        BulkOptions(max_wcu=0)
    assert budget.value.field == "max_wcu"


@pytest.mark.anyio
async def test_the_write_budget_spends_a_unit_per_started_kilobyte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        waited.append(seconds)
        now[0] += seconds

    # WriteBudget reads anyio's clock and waits with anyio.sleep: both are replaced.
    monkeypatch.setattr(anyio, "current_time", lambda: now[0])
    monkeypatch.setattr(anyio, "sleep", sleep)
    budget = WriteBudget(10)  # 10 units a second, a second's worth to start with
    for _ in range(10):
        await budget.spend(1000)  # one unit each
    assert waited == []
    await budget.spend(3000)  # three units more: 0.3 s
    assert waited == [pytest.approx(0.3)]
    now[0] += 10  # a long pause refills to one second's worth, no more
    for _ in range(10):
        await budget.spend(1)
    assert len(waited) == 1
    await budget.spend(1)
    assert waited[-1] == pytest.approx(0.1)
    unbounded = WriteBudget(None)
    await unbounded.spend(10**6)
    assert len(waited) == 2
