"""put_many on DynamoDB: a bounded number of BatchWriteItem requests in flight, the input
read only that far ahead, and a failed request stopping the stream."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from aace.adapters.dynamodb.batch import WRITE_CHUNK, WRITES_PER_WORKER
from aace.domain.entities import RUNS
from aace.domain.entities.conversation import Run
from aace.domain.errors import StorageError
from aace.domain.tenancy import PartitionKey
from tests.dynamodb.conftest import OpenStore
from tests.dynamodb.faults import Faults
from tests.factories import new_id, sample

pytestmark = pytest.mark.anyio

#: Seconds after which a held request goes on anyway, so that a stream that never reads
#: ahead fails the test instead of hanging it: a guard, never a measure.
HANG_GUARD = 60


async def test_the_input_is_read_only_a_bounded_number_of_requests_ahead(
    open_dynamo_store: OpenStore,
) -> None:
    workers = 2
    store = await open_dynamo_store(workers=str(workers))
    tenant = PartitionKey("ep", "bounded")
    thread = new_id()
    lock = threading.Lock()
    state = {"sending": 0, "most_sending": 0, "done": 0}
    in_flight = WRITES_PER_WORKER * workers
    far_ahead = threading.Event()

    def slow_send(**_: Any) -> None:
        with lock:
            state["sending"] += 1
            state["most_sending"] = max(state["most_sending"], state["sending"])
        # A network that answers only once the input could have raced ahead (the guard
        # only keeps a stream that never reads ahead from hanging the test).
        far_ahead.wait(HANG_GUARD)

    def after_call(**_: Any) -> None:
        with lock:
            state["sending"] -= 1
            state["done"] += 1

    events = store.runner.client.meta.events
    events.register("before-send.dynamodb.BatchWriteItem", slow_send)
    events.register("after-call.dynamodb.BatchWriteItem", after_call)
    ahead: list[int] = []

    def runs() -> Iterator[Run]:
        for number in range(2_000):
            with lock:
                ahead.append(number - state["done"] * WRITE_CHUNK)
                if ahead[-1] >= in_flight * WRITE_CHUNK:
                    far_ahead.set()
            yield sample(RUNS, tenant, thread_uuid=thread)

    await store.repository(RUNS).put_many(runs())
    assert state["done"] == 2_000 // WRITE_CHUNK
    assert state["most_sending"] <= workers
    # Requests in flight, the chunk waiting for a free slot, and the one being read.
    assert max(ahead) <= (in_flight + 2) * WRITE_CHUNK
    assert max(ahead) >= in_flight * WRITE_CHUNK  # it did overlap requests


async def test_a_failed_request_stops_the_stream_with_a_domain_error(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store()
    faults = Faults(store.runner.client)
    faults.fail("BatchWriteItem", "ResourceNotFoundException", times=1)
    read = 0

    def runs() -> Iterator[Run]:
        nonlocal read
        for _ in range(5_000):
            read += 1
            yield sample(RUNS, PartitionKey("ep", "failing"))

    with pytest.raises(StorageError):
        await store.repository(RUNS).put_many(runs())
    assert read < 5_000  # not read to the end once a request had failed
