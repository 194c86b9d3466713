"""A failed condition brings the stored item back only where the error depends on it.

DynamoDB returns the whole stored item with a failed condition when the request asks for it
(``ReturnValuesOnConditionCheckFailure``); botocore then logs it at DEBUG and keeps it in
the exception chained to the domain error. A failed create means ``Conflict`` whatever is
stored, and a failed ``PRESENT`` without equalities ``NotFound``, so they ask for nothing:
neither MCP server headers nor another tenant's record travel back.
"""

from __future__ import annotations

import uuid

import attrs
import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.domain.entities import AGENTS, MCP_SERVERS, MESSAGES
from aace.domain.errors import Conflict, NotFound
from aace.domain.ports import ABSENT, PRESENT
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio


def carried(error: BaseException) -> str:
    """Every exception chained to ``error``, with everything attached to it (botocore's
    response, PynamoDB's cancellation reasons), as text."""
    shown: list[str] = []
    current: BaseException | None = error
    while current is not None:
        shown += [repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    return "\n".join(shown)


async def test_a_failed_create_of_an_mcp_server_brings_no_stored_headers_back(
    dynamo_store: DynamoStore, tenant: PartitionKey
) -> None:
    token = uuid.uuid4().hex
    repo = dynamo_store.repository(MCP_SERVERS)
    server = sample(MCP_SERVERS, tenant, headers={"Authorization": f"Bearer {token}"})
    await repo.put(server, condition=ABSENT)
    with pytest.raises(Conflict) as alone:
        await repo.put(server, condition=ABSENT)
    with pytest.raises(Conflict) as in_a_transaction:
        async with dynamo_store.unit_of_work() as uow:
            uow.put(sample(AGENTS, tenant), condition=ABSENT)
            uow.put(server, condition=ABSENT)
    for error in (alone.value, in_a_transaction.value):
        assert "ConditionalCheckFailed" in carried(error)  # the chain is the driver's
        assert token not in carried(error)


async def test_a_failed_write_over_another_tenants_record_brings_none_of_it_back(
    dynamo_store: DynamoStore, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    words = uuid.uuid4().hex
    repo = dynamo_store.repository(MESSAGES)
    theirs = sample(MESSAGES, other_tenant, message=words)
    await repo.put(theirs, condition=ABSENT)
    mine = attrs.evolve(theirs, partition_key=tenant, message="mine")
    with pytest.raises(NotFound) as raised:
        await repo.put(mine, condition=PRESENT)
    assert "ConditionalCheckFailed" in carried(raised.value)
    assert words not in carried(raised.value)
