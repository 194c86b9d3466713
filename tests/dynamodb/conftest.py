"""DynamoDB-only tests: the session's DynamoDB Local (or the announced moto fallback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.application.storage import build_store
from tests.backends.dynamodb import boto3_client, fresh_prefix, session_endpoint, store_config

OpenStore = Callable[..., Awaitable[DynamoStore]]


@pytest.fixture(scope="session")
def dynamodb_endpoint(request: pytest.FixtureRequest) -> str:
    """``host:port`` of DynamoDB Local, started once for the whole test session."""
    return session_endpoint(request.config)


@pytest.fixture
def dynamodb_client(dynamodb_endpoint: str) -> Any:
    """A plain boto3 client, independent of the adapter, to look at what it did."""
    return boto3_client(dynamodb_endpoint)


@pytest.fixture
async def open_dynamo_store(
    dynamodb_endpoint: str, dynamodb_client: Any
) -> AsyncIterator[OpenStore]:
    """Opens stores on fresh table prefixes (options as keyword arguments); drops them after."""
    prefixes: list[str] = []
    async with AsyncExitStack() as stack:

        async def open_store(
            *, prefix: str | None = None, initialize: bool = True, **options: str
        ) -> DynamoStore:
            prefix = prefix or fresh_prefix()
            prefixes.append(prefix)
            store = build_store(store_config(dynamodb_endpoint, prefix, **options))
            assert isinstance(store, DynamoStore)
            stack.push_async_callback(store.close)
            if initialize:
                await store.initialize()
            return store

        yield open_store
    for page in dynamodb_client.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(tuple(prefixes)):
                dynamodb_client.delete_table(TableName=name)


@pytest.fixture
async def dynamo_store(open_dynamo_store: OpenStore) -> DynamoStore:
    return await open_dynamo_store()
