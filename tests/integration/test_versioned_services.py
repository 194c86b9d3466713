"""One versioning mechanism for agents, prompt templates and flow snippets; agent
compilation; flow-snippet re-pointing (all pages, resumable), on every adapter."""

from __future__ import annotations

from typing import Any

import pytest

from aace.domain.errors import HasDependents, NotFound, ValidationError
from aace.domain.tenancy import TenantContext
from tests.integration.records import AGENT, minimal

pytestmark = pytest.mark.anyio

VERSIONED = {
    "agents": ("agent_uuid", "agent_version_uuid", "agent_name", {"instructions": "v2"}),
    "prompt_templates": (
        "prompt_uuid",
        "prompt_version_uuid",
        "prompt_name",
        {"template_context": "v2 {flow_snippet}"},
    ),
    "flow_snippets": (
        "flow_snippet_uuid",
        "flow_snippet_version_uuid",
        "flow_name",
        {"flow_context": "v2"},
    ),
}


async def _active_count(verbs: Any, context: TenantContext, stable: str) -> int:
    return sum(v.status == "active" for v in await verbs.versions(context, stable))


@pytest.mark.parametrize("service", VERSIONED)
async def test_one_active_version_through_every_change(
    app: Any, context: TenantContext, service: str
) -> None:
    stable, version, name, changes = VERSIONED[service]
    verbs = getattr(app, service)
    first = await verbs.create(context, await minimal(app, context, service))
    stable_id = getattr(first, stable)
    second = await verbs.new_version(context, stable_id, changes)
    for field, value in changes.items():
        assert getattr(second, field) == value
    assert getattr(second, name) == getattr(first, name)  # carried forward
    assert (await verbs.active(context, stable_id)) == second
    assert await _active_count(verbs, context, stable_id) == 1
    await verbs.activate(context, getattr(first, version))
    assert getattr(await verbs.active(context, stable_id), version) == getattr(first, version)
    assert await _active_count(verbs, context, stable_id) == 1
    await verbs.delete(context, getattr(first, version))  # the active one: the other takes over
    assert getattr(await verbs.active(context, stable_id), version) == getattr(second, version)
    copy = await verbs.duplicate(context, stable_id)
    assert getattr(copy, name) == f"{getattr(first, name)} (Copy)"
    assert getattr(copy, stable) != stable_id
    assert copy.status == "active"
    assert await verbs.count_active(context) == 2
    listed = await verbs.list_active(context, limit=100)
    assert {getattr(v, stable) for v in listed.items} == {stable_id, getattr(copy, stable)}
    await verbs.new_version(context, stable_id, {})  # a third version, inactive ones stay
    assert await verbs.count(context) == 3  # every version unless statuses is given
    assert await verbs.count_active(context) == 2
    for left in await verbs.versions(context, stable_id):  # the last one takes the entity
        await verbs.delete(context, getattr(left, version))
    with pytest.raises(NotFound):
        await verbs.versions(context, stable_id)
    with pytest.raises(NotFound):
        await verbs.new_version(context, stable_id, changes)
    with pytest.raises(ValidationError) as caught:
        await verbs.new_version(context, getattr(copy, stable), {"status": "inactive"})
    assert caught.value.field == "status"


async def _template_and_snippet(app: Any, context: TenantContext) -> tuple[Any, Any]:
    template = await app.prompt_templates.create(
        context,
        {
            "prompt_type": "system",
            "prompt_name": "Support",
            "template_context": "You help. {flow_snippet} Be brief, {tone}.",
            "variables": [{"name": "customer"}, {"name": "tone"}],
            "mcp_servers": [{"mcp_server_uuid": "mcp-1"}, {"mcp_server_uuid": "mcp-2"}],
        },
    )
    snippet = await app.flow_snippets.create(
        context,
        {
            "prompt_uuid": template.prompt_uuid,
            "flow_name": "Triage",
            "flow_context": "Greet {customer}.",
        },
    )
    return template, snippet


async def test_an_agent_is_compiled_from_its_flow_snippet(
    app: Any, context: TenantContext
) -> None:
    _, snippet = await _template_and_snippet(app, context)
    agent = await app.agents.create(
        context,
        {
            **AGENT,
            "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid,
            "variables": [{"name": "customer", "value": "Ada"}, {"name": "tone", "value": "warm"}],
        },
    )
    assert agent.instructions == "You help. Greet Ada. Be brief, {tone}."
    assert agent.mcp_server_uuids == ["mcp-1", "mcp-2"]
    missing = await app.agents.create(
        context, {**AGENT, "flow_snippet_version_uuid": "nowhere", "instructions": "as given"}
    )
    assert missing.instructions == "as given"


async def test_an_empty_flow_context_substitutes_into_the_instructions(
    app: Any, context: TenantContext
) -> None:
    template, _ = await _template_and_snippet(app, context)
    snippet = await app.flow_snippets.create(
        context, {"prompt_uuid": template.prompt_uuid, "flow_name": "Plain"}
    )
    agent = await app.agents.create(
        context,
        {
            **AGENT,
            "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid,
            "variables": [{"name": "tone", "value": "calm"}],
        },
    )
    assert agent.instructions == "You help.  Be brief, calm."


async def test_a_new_snippet_version_repoints_every_agent_and_a_rerun_finishes_a_crash(
    app: Any, context: TenantContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 agents on one snippet version, re-pointed in several units of work; a crash after
    the first unit; calling repoint again finishes, and nothing is re-pointed twice."""
    _, snippet = await _template_and_snippet(app, context)
    old = snippet.flow_snippet_version_uuid
    agents = [
        await app.agents.create(context, {**AGENT, "flow_snippet_version_uuid": old})
        for _ in range(100)
    ]
    newer = await app.flow_snippets.new_version(
        context, snippet.flow_snippet_uuid, {"flow_context": "Welcome {customer}."}
    )  # re-points all 100 as it goes
    new = newer.flow_snippet_version_uuid
    for agent in agents[:3]:
        assert (
            await app.agents.active(context, agent.agent_uuid)
        ).flow_snippet_version_uuid == new

    calls = {"n": 0}
    real = app.agents._repoint_batch

    async def crashing(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("the process died")
        return await real(*args, **kwargs)

    monkeypatch.setattr(app.agents, "_repoint_batch", crashing)
    with pytest.raises(RuntimeError):
        await app.flow_snippets.repoint(context, new, "v-3")
    monkeypatch.setattr(app.agents, "_repoint_batch", real)
    moved_before = await app.agents.count(
        context, flow_snippet_version_uuid="v-3", statuses=["active"]
    )
    assert 0 < moved_before < 100
    finished = await app.flow_snippets.repoint(context, new, "v-3")
    assert finished == 100 - moved_before
    assert await app.flow_snippets.repoint(context, new, "v-3") == 0  # nothing twice
    for agent in agents:
        versions = await app.agents.versions(context, agent.agent_uuid)
        active = [v for v in versions if v.status == "active"]
        assert len(active) == 1
        assert active[0].flow_snippet_version_uuid == "v-3"
        assert len(versions) == 3  # as created, moved to the new version, moved to v-3


async def test_a_snippet_version_agents_name_is_not_deleted_and_a_duplicate_repoints(
    app: Any, context: TenantContext
) -> None:
    _, snippet = await _template_and_snippet(app, context)
    agent = await app.agents.create(
        context, {**AGENT, "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid}
    )
    await app.flow_snippets.new_version(context, snippet.flow_snippet_uuid, {})  # re-points
    moved = await app.agents.active(context, agent.agent_uuid)
    assert moved.flow_snippet_version_uuid != snippet.flow_snippet_version_uuid
    # The old version is no longer named by an active agent, but by the old agent version.
    with pytest.raises(HasDependents):
        await app.flow_snippets.delete(context, snippet.flow_snippet_version_uuid)
    copy = await app.flow_snippets.duplicate(context, snippet.flow_snippet_uuid)
    active = await app.agents.active(context, agent.agent_uuid)
    assert active.flow_snippet_version_uuid == copy.flow_snippet_version_uuid


async def test_an_update_recompiles_only_when_compilation_inputs_change(
    app: Any, context: TenantContext
) -> None:
    _, snippet = await _template_and_snippet(app, context)
    agent = await app.agents.create(
        context, {**AGENT, "flow_snippet_version_uuid": snippet.flow_snippet_version_uuid}
    )
    written = await app.agents.update(
        context, agent.agent_version_uuid, {"instructions": "my own words"}
    )
    assert written.instructions == "my own words"
    recompiled = await app.agents.update(
        context,
        agent.agent_version_uuid,
        {"variables": [{"name": "customer", "value": "Grace"}]},
    )
    assert recompiled.instructions == "You help. Greet Grace. Be brief, {tone}."
