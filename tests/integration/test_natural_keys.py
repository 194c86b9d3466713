"""Natural keys held by another tenant, on every adapter with the cache off and on.

A fine-tuning message is keyed by (``agent_uuid``, ``message_uuid``) alone, on DynamoDB and
in SQL alike (storage-layout.md): two tenants cannot both hold one key. So a key tenant A
holds cannot become tenant B's; B learns no more than that: ``create`` and ``upsert`` are
the same ``Conflict`` at once (no retries), naming nothing of A's record, which B can
neither read, list, change nor delete."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from aace.domain.errors import Conflict, NotFound
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from tests.integration.races import Aaces, aaces_on

pytestmark = pytest.mark.anyio


@pytest.fixture(params=[False, True], ids=["uncached", "cached"])
def aaces(request: pytest.FixtureRequest, store: Store) -> Aaces:
    return aaces_on(store, request.param)


def _message(**fields: Any) -> dict[str, Any]:
    key = {"agent_uuid": str(uuid.uuid4()), "message_uuid": str(uuid.uuid4())}
    return {**key, "thread_uuid": "thread-1", "role": "user", **fields}


async def test_another_tenants_key_is_one_conflict_at_once_and_reveals_nothing(
    aaces: Aaces, context: TenantContext, other_context: TenantContext
) -> None:
    (app,) = aaces(1)
    messages = app.fine_tuning_messages
    theirs = await messages.create(other_context, _message(content="their words"))
    key = (theirs.agent_uuid, theirs.message_uuid)
    mine = {"agent_uuid": key[0], "message_uuid": key[1], "thread_uuid": "t", "role": "user"}
    creates = 0
    real_create = messages._create

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal creates
        creates += 1
        return await real_create(*args, **kwargs)

    messages._create = counted
    with pytest.raises(Conflict) as created:
        await messages.create(context, {**mine, "content": "mine"})
    with pytest.raises(Conflict) as upserted:
        await messages.upsert(context, {**mine, "content": "mine"})
    assert creates == 2  # the upsert tried once, without retrying until the deadline
    for refused in (created.value, upserted.value):
        assert type(refused) is Conflict, repr(refused)
        assert "their words" not in str(refused)
        assert str(other_context.partition_key) not in str(refused)
    assert str(upserted.value) == str(created.value)

    assert await messages.find(context, *key) is None
    assert (await messages.list(context, agent_uuid=key[0])).items == []
    with pytest.raises(NotFound):
        await messages.update(context, *key, {"content": "mine"})
    with pytest.raises(NotFound):
        await messages.delete(context, *key)
    assert await messages.get(other_context, *key) == theirs


async def test_an_own_natural_key_is_created_then_updated_by_upsert(
    aaces: Aaces, context: TenantContext
) -> None:
    (app,) = aaces(1)
    messages = app.fine_tuning_messages
    data = _message(content="first")
    created = await messages.upsert(context, data)
    updated = await messages.upsert(context, {**data, "content": "second"})
    assert (created.content, updated.content) == ("first", "second")
    with pytest.raises(Conflict) as again:
        await messages.create(context, data)
    assert type(again.value) is Conflict
