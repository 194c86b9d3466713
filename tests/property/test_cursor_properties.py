"""Cursors are tamper-evident and bound to their tenant and listing (behaviour.md §6)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from aace.domain.entities import AGENTS
from aace.domain.errors import InvalidCursor
from aace.domain.query import CursorCodec, Query, next_cursor, resolve
from aace.domain.tenancy import PartitionKey
from tests.strategies import ids, partition_keys

CODEC = CursorCodec(b"property-test-secret-0123456789")


def _cursor(tenant: PartitionKey, position: str, query: Query) -> str:
    resolved = resolve(AGENTS, tenant, query, CODEC)
    return next_cursor(resolved, CODEC, {"agent_version_uuid": position})


@given(partition_keys, ids)
def test_a_cursor_continues_its_own_listing(tenant: PartitionKey, position: str) -> None:
    cursor = _cursor(tenant, position, Query())
    resolved = resolve(AGENTS, tenant, Query(cursor=cursor), CODEC)
    assert resolved.after == {"agent_version_uuid": position}


@given(partition_keys, partition_keys, ids)
def test_a_cursor_of_another_tenant_is_refused(
    a: PartitionKey, b: PartitionKey, position: str
) -> None:
    assume(a != b)
    cursor = _cursor(a, position, Query())
    with pytest.raises(InvalidCursor):
        resolve(AGENTS, b, Query(cursor=cursor), CODEC)


@given(partition_keys, ids, st.data())
def test_a_tampered_cursor_is_refused(
    tenant: PartitionKey, position: str, data: st.DataObject
) -> None:
    cursor = _cursor(tenant, position, Query())
    index = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1))
    replacement = data.draw(
        st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    )
    assume(replacement != cursor[index])
    tampered = cursor[:index] + replacement + cursor[index + 1 :]
    with pytest.raises(InvalidCursor):
        resolve(AGENTS, tenant, Query(cursor=tampered), CODEC)


@given(partition_keys, ids, st.data())
def test_a_truncated_cursor_is_refused(
    tenant: PartitionKey, position: str, data: st.DataObject
) -> None:
    cursor = _cursor(tenant, position, Query())
    cut = data.draw(st.integers(min_value=0, max_value=len(cursor) - 1))
    with pytest.raises(InvalidCursor):
        resolve(AGENTS, tenant, Query(cursor=cursor[:cut]), CODEC)


@given(partition_keys, ids)
def test_a_cursor_signed_with_another_secret_is_refused(
    tenant: PartitionKey, position: str
) -> None:
    cursor = _cursor(tenant, position, Query())
    other = CursorCodec(b"another-secret-of-sufficient-len")
    with pytest.raises(InvalidCursor):
        resolve(AGENTS, tenant, Query(cursor=cursor), other)


@given(partition_keys, ids)
def test_a_cursor_does_not_reveal_the_tenant(tenant: PartitionKey, position: str) -> None:
    body = _cursor(tenant, position, Query()).split(".")[0]
    decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    assert str(tenant) not in decoded
