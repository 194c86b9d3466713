"""Public ids for client-side embeds, on every adapter: issued, resolved, revoked and
rotated; resolving gives the owner only; an unknown or revoked id is ``NotFound``; the
agent's cascade and a tenant's offboarding remove them; an id is never derivable from the
agent or the tenant (property test)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.adapters.config import StoreConfig
from aace.application.migration.bulk import BulkOptions
from aace.application.migration.copy import delete_tenant
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.entities import AGENTS, PUBLIC_IDS
from aace.domain.entities.public_ids import new_public_id
from aace.domain.errors import Forbidden, HasDependents, NotFound, ValidationError
from aace.domain.ports import ANY, Store
from aace.domain.query import CursorCodec
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext, as_operator
from tests.backends import TEST_SECRET
from tests.secrets.conftest import services

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "helper", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def test_issue_resolve_rotate_and_revoke(store: Store, tenant: PartitionKey) -> None:
    app = services(store)
    owner = TenantContext(tenant, updated_by="alice")
    agent = await app.agents.create(
        owner, {**AGENT, "configuration": {"model": "m", "_api_note": "internal"}}
    )
    first = await app.agents.issue_public_id(owner, agent.agent_uuid)
    resolved = await app.agents.resolve_public(first)
    assert resolved.context.partition_key == tenant
    assert resolved.agent_uuid == agent.agent_uuid
    assert resolved.agent_version_uuid == agent.agent_version_uuid
    assert resolved.view.configuration == {"model": "m"}  # "_…" keys are private
    newer = await app.agents.new_version(owner, agent.agent_uuid, {"agent_name": "v2"})
    again = await app.agents.resolve_public(first)
    assert again.agent_version_uuid == newer.agent_version_uuid
    assert again.view.agent_name == "v2"
    second = await app.agents.issue_public_id(owner, agent.agent_uuid)  # rotation
    listed = await app.agents.public_ids(owner, agent.agent_uuid)
    assert sorted(p.public_id for p in listed) == sorted([first, second])
    await app.agents.revoke_public_id(owner, first)
    with pytest.raises(NotFound):
        await app.agents.resolve_public(first)
    assert (await app.agents.resolve_public(second)).context.partition_key == tenant
    assert [p.public_id for p in await app.agents.public_ids(owner, agent.agent_uuid)] == [second]
    with pytest.raises(NotFound):
        await app.agents.revoke_public_id(owner, first)


async def test_only_the_owner_sees_revokes_or_lists_an_id(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    app = services(store)
    owner, other = TenantContext(tenant), TenantContext(other_tenant)
    agent = await app.agents.create(owner, AGENT)
    public = await app.agents.issue_public_id(owner, agent.agent_uuid)
    with pytest.raises(NotFound):
        await app.agents.revoke_public_id(other, public)
    assert await app.agents.public_ids(other, agent.agent_uuid) == []
    with pytest.raises(NotFound):
        await app.agents.issue_public_id(other, agent.agent_uuid)
    with pytest.raises(Forbidden):  # the cross-tenant read is the operator's alone
        await store.repository(PUBLIC_IDS).find_in_any_tenant((public, "agent"))
    assert (await app.agents.resolve_public(public)).context.partition_key == tenant


async def test_unknown_and_malformed_ids(store: Store) -> None:
    app = services(store)
    with pytest.raises(NotFound):
        await app.agents.resolve_public(new_public_id())
    for bad in ("", "pub_short", "x" * 36, 7):
        with pytest.raises(ValidationError):
            await app.agents.resolve_public(bad)


async def test_the_agents_cascade_removes_them_and_guards_a_plain_delete(
    store: Store, tenant: PartitionKey
) -> None:
    app = services(store)
    owner = TenantContext(tenant)
    agent = await app.agents.create(owner, AGENT)
    public = await app.agents.issue_public_id(owner, agent.agent_uuid)
    with pytest.raises(HasDependents):
        await app.agents.delete(owner, agent.agent_version_uuid)
    await app.agents.delete(owner, agent.agent_version_uuid, cascade=True)
    with pytest.raises(NotFound):
        await app.agents.resolve_public(public)
    assert await app.agents.public_ids(owner, agent.agent_uuid) == []


async def test_offboarding_removes_them(store: Store, tenant: PartitionKey) -> None:
    app = services(store)
    owner = TenantContext(tenant)
    agent = await app.agents.create(owner, AGENT)
    public = await app.agents.issue_public_id(owner, agent.agent_uuid)
    options = BulkOptions(job=f"offboard-{uuid.uuid4().hex[:8]}")
    await delete_tenant(Settings(storage_url="memory://"), tenant, options, store=store)
    with pytest.raises(NotFound):
        await app.agents.resolve_public(public)
    assert await app.agents.public_ids(owner, agent.agent_uuid) == []


async def test_the_view_for_a_browser_is_an_allowlist(store: Store, tenant: PartitionKey) -> None:
    """Nothing of the tenant, its people, its internal ids, its prompt or its run settings
    reaches the view; only the name, the description and the configuration it shows."""
    app = services(store)
    owner = TenantContext(tenant, updated_by="alice@acme.example")
    server = await app.mcp_servers.create(
        owner, {"mcp_label": "crm", "mcp_server_url": "https://mcp.example", "headers": {}}
    )
    agent = await app.agents.create(
        owner,
        {
            **AGENT,
            "agent_description": "answers questions",
            "instructions": "the secret prompt",
            "variables": [{"name": "discount", "value": "42"}],
            "mcp_server_uuids": [server.mcp_server_uuid],
            "configuration": {"greeting": "hi", "_cost_centre": "cc-9"},
        },
    )
    resolved = await app.agents.resolve_public(
        await app.agents.issue_public_id(owner, agent.agent_uuid)
    )
    shown = resolved.view.as_dict()
    assert shown == {
        "agent_name": "helper",
        "agent_description": "answers questions",
        "configuration": {"greeting": "hi"},
    }
    text = repr(shown)
    for hidden in (
        tenant.endpoint_id,
        tenant.part_id,
        "alice@acme.example",
        agent.agent_uuid,
        agent.agent_version_uuid,
        server.mcp_server_uuid,
        "the secret prompt",
        "discount",
        "cc-9",
        "gpt-4o",
    ):
        assert hidden not in text


async def test_an_id_whose_agent_is_gone_is_deleted_when_resolved(
    store: Store, tenant: PartitionKey
) -> None:
    """The cascade finds ids through a global index (eventually consistent on DynamoDB), so
    an id can outlive its agent: resolving it answers NotFound and deletes it."""
    app = services(store)
    owner = TenantContext(tenant)
    agent = await app.agents.create(owner, AGENT)
    public = await app.agents.issue_public_id(owner, agent.agent_uuid)
    agents = store.repository(AGENTS)
    await agents.delete(tenant, (agent.agent_version_uuid,), condition=ANY)  # cascade missed it
    assert [p.public_id for p in await app.agents.public_ids(owner, agent.agent_uuid)] == [public]
    with pytest.raises(NotFound):
        await app.agents.resolve_public(public)
    assert await app.agents.public_ids(owner, agent.agent_uuid) == []
    with as_operator(PlatformContext(updated_by="test")):
        assert await store.repository(PUBLIC_IDS).find_in_any_tenant((public, "agent")) is None


def _derivations(text: str) -> set[str]:
    """What an id made from ``text`` would likely hold: the text, and digests of it."""
    found = {text}
    for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
        hexed = digest(text.encode()).hexdigest()
        found.update({hexed[:8], hexed[-8:]})
    return {f for f in found if len(f) >= 4}


@given(
    endpoint=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
    part=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
    name=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
)
async def test_an_issued_id_is_never_derivable_from_the_agent_or_the_tenant(
    endpoint: str, part: str, name: str
) -> None:
    """Through ``issue_public_id`` over generated tenants and agents, each example on a
    fresh memory store (the profile's number of examples)."""
    store = build_store(StoreConfig("memory://", CursorCodec(TEST_SECRET)))
    await store.initialize()
    try:
        app = services(store)
        owner = TenantContext(PartitionKey(endpoint, part))
        agent = await app.agents.create(owner, {**AGENT, "agent_name": name})
        issued = [await app.agents.issue_public_id(owner, agent.agent_uuid) for _ in range(3)]
        assert len(set(issued)) == 3  # the same agent and tenant never give the same id
        sources = [endpoint, part, name, str(owner.partition_key), agent.agent_uuid]
        sources += [agent.agent_version_uuid, agent.agent_uuid.replace("-", "")]
        for public in issued:
            assert len(public) == 36
            assert public.startswith("pub_")
            body = public.removeprefix("pub_")
            for source in sources:
                for derived in _derivations(source):
                    assert derived not in body
            assert (await app.agents.resolve_public(public)).agent_uuid == agent.agent_uuid
    finally:
        await store.close()
