"""BatchGetItem and BatchWriteItem in backend-sized chunks, with unprocessed work retried.

PynamoDB's own batch helpers retry without backoff and return items unordered, so the
requests are built here: chunks of 100 keys (reads) or 25 items (writes, streamed from the
caller with a bounded number in flight), sent concurrently through the worker pool, and
whatever DynamoDB leaves unprocessed is sent again after a capped, jittered exponential
backoff. Running out of attempts is ``StorageUnavailable``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any

import anyio

from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.runner import Runner, run_concurrently
from aace.adapters.scheduling import fanning_out
from aace.domain.bulk import Record, WriteChunk
from aace.domain.errors import StorageUnavailable

__all__ = ["GET_CHUNK", "WRITE_CHUNK", "WRITES_PER_WORKER", "Produce", "batch_get", "batch_write"]

GET_CHUNK = 100
WRITE_CHUNK = 25
#: BatchWriteItem requests in flight per worker of the pool (one backing off holds none).
WRITES_PER_WORKER = 2

KeyId = tuple[str, str]
#: Takes the function that sends one BatchWriteItem of the records it is given.
Produce = Callable[[WriteChunk], Awaitable[None]]


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


async def batch_write(runner: Runner, table: str, codec: ItemCodec, produce: Produce) -> None:
    """Put the records ``produce`` hands to the function it is given, encoded with
    ``codec``, one BatchWriteItem per call (at most :data:`WRITE_CHUNK` distinct keys).

    ``produce`` streams: at most ``WRITES_PER_WORKER`` x the runner's workers requests are
    in flight (a call waits for a free one), and a request holding a key that an earlier
    one still sends waits for it, so the last write of a key wins. When ``produce`` raises,
    the requests in flight finish and then its error is raised; when a request fails, the
    others are cancelled and its error is raised.
    """
    slots = anyio.Semaphore(WRITES_PER_WORKER * runner.settings.workers)
    sending: dict[KeyId, anyio.Event] = {}
    failures: list[Exception] = []

    async def send(pending: list[dict[str, Any]]) -> list[dict[str, Any]]:
        response = await runner.send("BatchWriteItem", {"RequestItems": {table: pending}})
        return list(response.get("UnprocessedItems", {}).get(table, []))

    async def write(items: list[Item], keys: list[KeyId], done: anyio.Event) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in items]
        try:
            await _until_processed(runner, "BatchWriteItem", table, requests, send)
        except Exception as exc:
            failures.append(exc)
            group.cancel_scope.cancel()
        finally:
            for key in keys:
                if sending.get(key) is done:
                    del sending[key]
            done.set()
            slots.release()

    async def put(records: list[Record]) -> None:
        items = [codec.encode(record) for record in records]
        keys = [codec.key_of_item(item) for item in items]
        for key in keys:
            earlier = sending.get(key)
            if earlier is not None:
                await earlier.wait()
        await slots.acquire()
        done = anyio.Event()
        sending.update(dict.fromkeys(keys, done))
        group.start_soon(write, items, keys, done)

    with fanning_out():
        async with anyio.create_task_group() as group:
            try:
                await produce(put)
            except Exception as exc:  # raised once the requests in flight are done
                failures.append(exc)
    if failures:
        raise failures[0]
