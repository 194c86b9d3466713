"""Spans: ``aace.<service>.<verb>`` per service call, storage requests as its children (OTel
database conventions), no record value or secret anywhere, the tenant only when asked, and
nothing at all with telemetry off: on every adapter."""

from __future__ import annotations

import subprocess
import sys
import uuid
from typing import Any

import attrs
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from aace import Aace, NotFound, PartitionKey, Settings, TenantContext
from aace.application.telemetry import ATTRIBUTE, system_name
from tests.telemetry.conftest import Sdk

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


def _context() -> TenantContext:
    return TenantContext(PartitionKey("ep-otel", f"p-{uuid.uuid4().hex[:8]}"), updated_by="me")


def _named(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    (found,) = [span for span in spans if span.name == name]
    return found


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [
        s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id
    ]


async def test_a_service_call_is_a_span_whose_children_are_its_storage_requests(
    app: Aace, sdk: Sdk
) -> None:
    await app.agents.create(_context(), AGENT)
    spans = sdk.spans()
    call = _named(spans, "aace.agents.create")
    system = system_name(app.store.adapter)
    assert call.kind is SpanKind.INTERNAL
    assert call.parent is None
    assert call.attributes is not None
    assert call.attributes["aace.adapter"] == system
    assert call.attributes["aace.retries"] == 0
    requests = _children(spans, call)
    assert call.attributes["aace.requests"] == len(requests)
    assert len(spans) == 1 + len(requests)  # nothing else was recorded
    if app.store.adapter == "memory":
        assert requests == []  # no I/O, no storage request
        return
    assert requests
    for request in requests:
        assert request.kind is SpanKind.CLIENT
        assert request.attributes is not None
        assert request.attributes["db.system.name"] == system
        assert request.attributes["db.operation.name"]
    tables: set[str] = set()
    for request in requests:
        attributes: dict[str, Any] = dict(request.attributes or {})
        tables.add(str(attributes.get("db.collection.name", "")))
        tables.update(attributes.get("aws.dynamodb.table_names", ()))
    assert any(table.endswith("agents") for table in tables), tables


async def test_a_call_into_its_own_service_is_no_span_of_its_own(app: Aace, sdk: Sdk) -> None:
    """``threads.update`` calls the shared ``update`` through ``super()``: one span."""
    context = _context()
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    sdk.exporter.clear()
    await app.threads.update(context, thread.thread_uuid, {"user_id": "u2"})
    names = [s.name for s in sdk.spans() if s.kind is SpanKind.INTERNAL]
    assert names == ["aace.threads.update"]


async def test_a_failed_call_names_the_error_class_only(app: Aace, sdk: Sdk) -> None:
    missing = f"missing-{uuid.uuid4().hex}"
    with pytest.raises(NotFound):
        await app.agents.active(_context(), missing)
    call = _named(sdk.spans(), "aace.agents.active")
    assert call.status.status_code is StatusCode.ERROR
    assert call.status.description == "NotFound"
    assert call.attributes is not None
    assert call.attributes["error.type"] == "NotFound"
    assert not call.events  # no exception event: its message could quote the input
    assert all(missing not in str(span.to_json()) for span in sdk.spans())


async def test_no_span_holds_a_record_value_or_a_secret(
    app: Aace, sdk: Sdk, caplog: pytest.LogCaptureFixture
) -> None:
    token = f"tok-{uuid.uuid4().hex}"
    label = f"label-{uuid.uuid4().hex}"
    context = _context()
    caplog.set_level("DEBUG", logger="aace")
    server = await app.mcp_servers.create(
        context,
        {
            "mcp_label": label,
            "mcp_server_url": "https://mcp.invalid/s",
            "headers": {"Authorization": f"Bearer {token}"},
        },
    )
    await app.mcp_servers.get(context, server.mcp_server_uuid)
    await app.mcp_servers.list(context)
    spans = sdk.spans()
    assert {"aace.mcp_servers.create", "aace.mcp_servers.get", "aace.mcp_servers.list"} <= {
        s.name for s in spans
    }
    for span in spans:
        text = span.to_json()
        assert token not in text
        assert label not in text
        assert server.mcp_server_uuid not in text
        assert context.part_id not in text  # the tenant is not asked for
    for attributes in sdk.metric_attributes():
        assert token not in repr(attributes)
    assert token not in caplog.text


async def test_the_tenant_is_recorded_only_when_the_embedder_asks(
    sdk: Sdk, fresh: Settings
) -> None:
    context = _context()
    async with Aace.open(attrs.evolve(fresh, telemetry="tenant")) as app:
        sdk.exporter.clear()
        await app.agents.create(context, AGENT)
    call = _named(sdk.spans(), "aace.agents.create")
    assert call.attributes is not None
    assert call.attributes["aace.tenant"] == str(context.partition_key)
    for request in _children(sdk.spans(), call):
        assert "aace.tenant" not in (request.attributes or {})


async def test_nothing_is_recorded_with_telemetry_off(sdk: Sdk, fresh: Settings) -> None:
    context = _context()
    replays = sdk.count("aace.idempotent_replays")
    async with Aace.open(attrs.evolve(fresh, telemetry=False)) as app:
        assert getattr(app.agents, ATTRIBUTE) is None
        await app.agents.create(context, AGENT, idempotency_key="k")
        await app.agents.create(context, AGENT, idempotency_key="k")  # a replay
    assert sdk.spans() == []
    assert sdk.count("aace.idempotent_replays") == replays


def test_the_setting_reads_words_from_the_environment() -> None:
    assert Settings.load(environ={"AACE_TELEMETRY": "off"}).telemetry == "off"
    assert Settings.load(environ={"AACE_TELEMETRY": "tenant"}).telemetry == "tenant"
    assert Settings(telemetry=True).telemetry == "on"
    assert Settings().telemetry == "on"


_UNTRACED = """
import asyncio, sys
if sys.argv[1] == "no-api":
    sys.modules["opentelemetry"] = None  # as if opentelemetry-api were not installed
from aace import Aace, Settings

async def main():
    async with Aace.open(Settings(storage_url="memory://")) as app:
        print(all(getattr(app, name)._aace_telemetry is None for name in ("agents", "usage")))

asyncio.run(main())
"""


@pytest.mark.parametrize("case", ["no-provider", "no-api"])
def test_without_a_provider_or_the_api_no_service_is_traced(case: str) -> None:
    """Decided at opening, in a fresh interpreter (this one has the SDK set)."""
    done = subprocess.run(
        [sys.executable, "-c", _UNTRACED, case], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "True", done.stderr
