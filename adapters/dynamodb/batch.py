"""BatchGetItem and BatchWriteItem in backend-sized chunks, with unprocessed work retried.

PynamoDB's own batch helpers retry without backoff and return items unordered, so the
requests are built here: chunks of 100 keys (reads) or 25 items (writes), sent concurrently
through the worker pool, and whatever DynamoDB leaves unprocessed is sent again after a
capped, jittered exponential backoff. Running out of attempts is ``StorageUnavailable``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from aace.adapters.dynamodb.codec import Item
from aace.adapters.dynamodb.runner import Runner, run_concurrently
from aace.domain.errors import StorageUnavailable

__all__ = ["GET_CHUNK", "WRITE_CHUNK", "batch_get", "batch_write"]

GET_CHUNK = 100
WRITE_CHUNK = 25

KeyId = tuple[str, str]


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


class _Unprocessed(Exception):
    """A round left requests unprocessed: the next round sends them after a wait."""


def _is_unprocessed(error: BaseException) -> bool:
    return isinstance(error, _Unprocessed)


async def _until_processed(
    runner: Runner, operation: str, table: str, pending: list[Any], send: Callable[..., Any]
) -> None:
    """Send ``pending`` until nothing is left unprocessed, backing off between rounds."""
    tries = 0

    async def one_round() -> None:
        nonlocal pending, tries
        tries += 1
        pending = await send(pending)
        if pending:
            raise _Unprocessed

    try:
        await runner.retry(_is_unprocessed, one_round)
    except _Unprocessed:
        raise StorageUnavailable(
            f"{operation} on {table}: {len(pending)} requests stayed unprocessed "
            f"after {tries} tries"
        ) from None


async def batch_get(
    runner: Runner, table: str, keys: Sequence[Item], key_id: Callable[[Item], KeyId]
) -> dict[KeyId, Item]:
    """The stored items among ``keys`` (distinct), by (hash, range) value."""
    found: dict[KeyId, Item] = {}

    async def send(pending: list[Item]) -> list[Item]:
        request = {"RequestItems": {table: {"Keys": pending, "ConsistentRead": True}}}
        response = await runner.send("BatchGetItem", request)
        for item in response.get("Responses", {}).get(table, []):
            found[key_id(item)] = item
        return list(response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))

    await run_concurrently(
        [
            partial(_until_processed, runner, "BatchGetItem", table, list(chunk), send)
            for chunk in _chunks(keys, GET_CHUNK)
        ]
    )
    return found


async def batch_write(runner: Runner, table: str, items: Sequence[Item]) -> None:
    """Put every item (distinct keys), 25 per request, concurrently."""

    async def send(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = await runner.send("BatchWriteItem", {"RequestItems": {table: pending}})
        return list(response.get("UnprocessedItems", {}).get(table, []))

    await run_concurrently(
        [
            partial(
                _until_processed,
                runner,
                "BatchWriteItem",
                table,
                [{"PutRequest": {"Item": item}} for item in chunk],
                send,
            )
            for chunk in _chunks(items, WRITE_CHUNK)
        ]
    )
