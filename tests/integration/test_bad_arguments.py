"""Bad arguments to any service entry point: ``ValidationError`` naming the argument, raised
before any I/O, identically on every adapter, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.services import AgentService, arguments
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, COORDINATIONS, IDEMPOTENCY, TENANT_COUNTERS
from aace.domain.errors import InvalidPartitionKey, ValidationError
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.integration.entry_points import (
    WITHOUT_CONTEXT,
    EntryPoint,
    build_service,
    entry_points,
)

pytestmark = pytest.mark.anyio

ENTRY_POINTS = entry_points()
MALFORMED_IDS = {
    "empty": "",
    "leading-space": " x",
    "1025-bytes": "x" * 1025,
    "newline": "a\nb",
    "lone-surrogate": "ab\ud800",
    "not-text": 17,
}
AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _nothing_written(store: Store, tenant: PartitionKey) -> None:
    written: tuple[EntitySchema[Any], ...] = (AGENTS, COORDINATIONS, TENANT_COUNTERS, IDEMPOTENCY)
    for schema in written:
        assert await store.repository(schema).count(tenant, Query()) == 0, schema.name


def _with(kind: Any) -> list[tuple[EntryPoint, str]]:
    return [(e, name) for e in ENTRY_POINTS for name in e.names_of(kind)]


def test_every_entry_point_argument_is_checked() -> None:
    """entry_points() asserts each parameter has a checked annotation; this keeps it honest."""
    assert {e.name for e in ENTRY_POINTS} >= {
        "agents.create",
        "agents.new_version",
        "coordinations.create",
        "session_agents.complete",
    }


@pytest.mark.parametrize("bad", MALFORMED_IDS.values(), ids=MALFORMED_IDS.keys())
@pytest.mark.parametrize(
    ("entry", "argument"),
    _with(arguments.Id) + _with(arguments.OptionalId),
    ids=lambda v: v.name if isinstance(v, EntryPoint) else v,
)
async def test_a_malformed_id_argument_is_refused_by_name_before_any_io(
    store: Store, tenant: PartitionKey, entry: EntryPoint, argument: str, bad: Any
) -> None:
    context = TenantContext(tenant)
    service = build_service(entry.service, store)
    values = entry.arguments_for(context, **{argument: bad})
    if entry.method == "create":
        values["data"] = AGENT if entry.service == "agents" else {}
    with pytest.raises(ValidationError) as caught:
        await entry.call(service, values)
    assert caught.value.field == _caller_name(service, entry, argument)
    await _nothing_written(store, tenant)


def _caller_name(service: Any, entry: EntryPoint, argument: str) -> str:
    """What an error calls an argument: its keyword; by position, a versioned service's
    generic ``stable_id`` / ``version_id`` as its entity names it (``agent_uuid``, …)."""
    versioning = getattr(service, "versioning", None)
    if versioning is None or argument in entry.keyword_only:
        return argument
    entity_names = {"stable_id": versioning.stable_id, "version_id": service.schema.range_key}
    return entity_names.get(argument, argument)


@pytest.mark.parametrize("bad", ["", "x\nb", 17, None])
@pytest.mark.parametrize(
    "entry", [e for e in ENTRY_POINTS if e.rest is not None], ids=lambda e: e.name
)
async def test_a_malformed_key_part_is_refused_naming_the_key_field(
    store: Store, tenant: PartitionKey, entry: EntryPoint, bad: Any
) -> None:
    assert entry.rest is not None
    context = TenantContext(tenant)
    values = entry.arguments_for(context)
    name = entry.rest[0]
    values[name] = (bad, *values[name][1:])
    with pytest.raises(ValidationError) as caught:
        await entry.call(build_service(entry.service, store), values)
    assert caught.value.field in (entry.key_fields[0], f"{name}[0]")
    await _nothing_written(store, tenant)


def test_only_the_public_resolve_starts_without_a_context() -> None:
    assert {e.name for e in ENTRY_POINTS if e.context_name is None} == WITHOUT_CONTEXT


@pytest.mark.parametrize("bad", [None, {"partition_key": "a#b"}, "a#b", PartitionKey("a", "b")])
@pytest.mark.parametrize(
    "entry", [e for e in ENTRY_POINTS if e.context_name is not None], ids=lambda e: e.name
)
async def test_a_context_that_is_not_a_tenant_context_is_refused_by_name(
    store: Store, entry: EntryPoint, bad: Any
) -> None:
    service = build_service(entry.service, store)
    name = entry.context_name
    assert name is not None
    with pytest.raises(ValidationError) as caught:
        await entry.call(
            service, entry.arguments_for(TenantContext(PartitionKey("a", "b"))) | {name: bad}
        )
    assert caught.value.field == name


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({1: "x", "zzz": 2}, "data"),
        (["agent_name"], "data"),
        (None, "data"),
        ({**AGENT, "agent_name": "lone \udc80 surrogate"}, "agent_name"),
        ({**AGENT, "configuration": {"k\ud800": 1}}, "configuration (a map key)"),
        ({"agent_name\ud800": "x"}, "data (a field name)"),
    ],
    ids=["int-key", "list", "none", "surrogate-value", "surrogate-map-key", "surrogate-name"],
)
async def test_malformed_agent_input_is_refused_by_name_and_writes_nothing(
    store: Store, tenant: PartitionKey, bad: Any, field: str
) -> None:
    agents = AgentService(store, Settings())
    with pytest.raises(ValidationError) as caught:
        await agents.create(TenantContext(tenant), bad, idempotency_key="k-1")
    assert caught.value.field == field
    str(caught.value).encode("utf-8")  # the message itself is printable
    await _nothing_written(store, tenant)


@pytest.mark.parametrize(
    ("changes", "field"),
    [(["x"], "changes"), ({2: "x"}, "changes"), ({"agent_uuid": "x"}, "agent_uuid")],
    ids=["list", "int-key", "managed"],
)
async def test_malformed_changes_to_an_agent_are_refused_and_write_nothing(
    store: Store, tenant: PartitionKey, changes: Any, field: str
) -> None:
    context = TenantContext(tenant)
    agents = AgentService(store, Settings())
    agent = await agents.create(context, AGENT)
    with pytest.raises(ValidationError) as caught:
        await agents.new_version(context, agent.agent_uuid, changes)
    assert caught.value.field == field
    assert await agents.versions(context, agent.agent_uuid) == [agent]


@pytest.mark.parametrize(
    ("tasks", "field"),
    [
        (None, "tasks"),
        ("abc", "tasks"),
        ({"task_name": "x"}, "tasks"),
        ([{"a": 1}, 5], "tasks[1]"),
    ],
    ids=["none", "text", "mapping", "not-a-mapping-inside"],
)
async def test_malformed_tasks_are_refused_by_name_and_write_nothing(
    store: Store, tenant: PartitionKey, tasks: Any, field: str
) -> None:
    coordinations = build_service("coordinations", store)
    with pytest.raises(ValidationError) as caught:
        await coordinations.create(TenantContext(tenant), {}, tasks=tasks)
    assert caught.value.field == field
    await _nothing_written(store, tenant)


@pytest.mark.parametrize("component", ["endpoint_id", "part_id"])
def test_a_lone_surrogate_in_a_tenant_component_is_refused_by_name(component: str) -> None:
    values = {"endpoint_id": "ep", "part_id": "tenant", component: "te\udc00nant"}
    with pytest.raises(InvalidPartitionKey) as caught:
        PartitionKey(**values)
    assert caught.value.field == component


def test_a_lone_surrogate_in_updated_by_is_refused_by_name() -> None:
    with pytest.raises(ValidationError) as caught:
        TenantContext(PartitionKey("ep", "t"), updated_by="al\ud800ice")
    assert caught.value.field == "updated_by"


@pytest.mark.parametrize(
    ("limit", "cursor", "field"),
    [("10", None, "limit"), (True, None, "limit"), (0, None, "limit"), (10, 5, "cursor")],
)
async def test_malformed_page_arguments_are_refused_by_name(
    store: Store, tenant: PartitionKey, limit: Any, cursor: Any, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        await AgentService(store, Settings()).list_active(
            TenantContext(tenant), limit=limit, cursor=cursor
        )
    assert caught.value.field == field
