"""Public ids for client-side embeds, on every adapter: issued, resolved, revoked and
rotated; resolving gives the owner only; an unknown or revoked id is ``NotFound``; the
agent's cascade and a tenant's offboarding remove them; an id is never derivable from the
agent or the tenant (property test)."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aace.application.migration.bulk import BulkOptions
from aace.application.migration.copy import delete_tenant
from aace.application.settings import Settings
from aace.domain.entities import PUBLIC_IDS
from aace.domain.entities.public_ids import new_public_id
from aace.domain.errors import Forbidden, HasDependents, NotFound, ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext
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
    assert resolved.agent.agent_version_uuid == agent.agent_version_uuid
    assert resolved.agent.configuration == {"model": "m"}  # "_…" keys are private
    newer = await app.agents.new_version(owner, agent.agent_uuid, {"agent_name": "v2"})
    assert (await app.agents.resolve_public(first)).agent.agent_version_uuid == (
        newer.agent_version_uuid
    )
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


def _derivations(text: str) -> set[str]:
    """What an id made from ``text`` would likely hold: the text, and digests of it."""
    found = {text}
    for digest in (hashlib.sha256, hashlib.md5, hashlib.sha1):
        hexed = digest(text.encode()).hexdigest()
        found.update({hexed[:8], hexed[-8:]})
    return {f for f in found if len(f) >= 4}


@settings(max_examples=50, deadline=None)
@given(
    endpoint=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
    part=st.from_regex(r"[a-z]{6,12}", fullmatch=True),
    agent_uuid=st.uuids().map(str),
)
def test_an_id_is_never_derivable_from_the_agent_or_the_tenant(
    endpoint: str, part: str, agent_uuid: str
) -> None:
    issued = {new_public_id() for _ in range(4)}
    assert len(issued) == 4  # the same agent and tenant never give the same id
    for public in issued:
        assert len(public) == 36
        assert public.startswith("pub_")
        body = public.removeprefix("pub_")
        for source in (endpoint, part, agent_uuid, agent_uuid.replace("-", "")):
            for derived in _derivations(source):
                assert derived not in body
