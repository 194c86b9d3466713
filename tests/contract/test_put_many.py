"""put_many streams any iterable or async iterable in backend-sized chunks: everything reads
back, the last write of a key wins within and across chunks, memory stays bounded, and bad
input raises the package's own errors with a documented partial write."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import anyio.lowlevel
import pytest

from aace.domain.entities import AGENTS, RUNS, TENANT_COUNTERS, TenantCounter
from aace.domain.errors import TooLarge, ValidationError
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio

MB = 1024 * 1024
#: Records of the large cases. DynamoDB Local, a JVM sharing this machine's two cores with
#: the test, stores about 4 500 items/s, so 100 000 would take ~25 s (and ~50 s under
#: tracemalloc): 20 000 still stream through 800 requests, 25 times the 32 allowed in flight.
LARGE = {"memory": 100_000, "sqlite": 100_000, "postgresql": 100_000, "dynamodb": 20_000}
NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def counter(tenant: PartitionKey, number: int, value: int = 0) -> TenantCounter:
    """A small record (six attributes, about 100 bytes)."""
    return TenantCounter(
        partition_key=tenant, counter_name=f"c-{number:07d}", value=value, updated_at=NOW
    )


def counters(tenant: PartitionKey, count: int) -> Iterator[TenantCounter]:
    return (counter(tenant, number, number) for number in range(count))


async def stored(store: Store, tenant: PartitionKey) -> int:
    return await store.repository(TENANT_COUNTERS).count(tenant, Query())


async def assert_reads_back(store: Store, tenant: PartitionKey, count: int, step: int) -> None:
    """``count`` records in all, and every ``step``-th one (and the last) as written."""
    assert await stored(store, tenant) == count
    numbers = [*range(0, count, step), count - 1]
    found = await store.repository(TENANT_COUNTERS).get_many(
        tenant, [(f"c-{n:07d}",) for n in numbers]
    )
    assert found == [counter(tenant, n, n) for n in numbers]


async def test_a_generator_of_many_small_records_is_streamed_and_reads_back(
    store: Store, tenant: PartitionKey
) -> None:
    """100 000 records from a generator (20 000 on DynamoDB Local: see ``LARGE``)."""
    count = LARGE[store.adapter]
    await store.repository(TENANT_COUNTERS).put_many(counters(tenant, count))
    await assert_reads_back(store, tenant, count, step=97)


async def test_peak_memory_above_the_input_stays_under_10_mb(
    store: Store, tenant: PartitionKey
) -> None:
    """Measured with tracemalloc over a generator of 100 000 records (20 000 on DynamoDB
    Local: see ``LARGE``). The memory adapter keeps what it stores: that is the data, not
    overhead, so there the peak is taken above what remains once put_many returns."""
    repo = store.repository(TENANT_COUNTERS)
    await repo.put_many(counters(tenant, 10))  # connections and statements, as in use
    gc.collect()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        await repo.put_many(counters(tenant, LARGE[store.adapter]))
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    baseline = end if store.adapter == "memory" else start
    assert (peak - baseline) / MB <= 10
    assert await stored(store, tenant) == LARGE[store.adapter]


async def test_an_async_generator_is_streamed(store: Store, tenant: PartitionKey) -> None:
    async def produce() -> AsyncIterator[TenantCounter]:
        for number in range(2_100):
            if number % 100 == 0:
                await anyio.lowlevel.checkpoint()
            yield counter(tenant, number, number)

    await store.repository(TENANT_COUNTERS).put_many(produce())
    await assert_reads_back(store, tenant, 2_100, step=1)


async def test_an_async_input_may_itself_use_the_store(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    """The input is read while no lock of the store is held."""
    repo = store.repository(TENANT_COUNTERS)

    async def produce() -> AsyncIterator[TenantCounter]:
        for number in range(60):
            await repo.put(counter(other_tenant, number))
            yield counter(tenant, number, number)

    await repo.put_many(produce())
    await assert_reads_back(store, tenant, 60, step=1)
    assert await stored(store, other_tenant) == 60


@pytest.mark.parametrize("asynchronous", [False, True], ids=["generator", "async-generator"])
async def test_the_last_write_of_a_key_wins_within_and_across_chunks(
    store: Store, tenant: PartitionKey, asynchronous: bool
) -> None:
    """Each of 700 keys is written twice in a row (within one chunk), in three passes (so
    again in later chunks: 700 keys span two chunks of 500 and 28 requests of 25, fewer than
    DynamoDB may have in flight); each write carries its pass and its place in the pair."""
    keys, passes = 700, 3

    def writes() -> Iterator[TenantCounter]:
        for round_ in range(passes):
            for number in range(keys):
                for twice in range(2):
                    yield counter(tenant, number, (round_ * 2 + twice) * keys + number)

    async def async_writes() -> AsyncIterator[TenantCounter]:
        for write in writes():
            yield write

    repo = store.repository(TENANT_COUNTERS)
    await repo.put_many(async_writes() if asynchronous else writes())
    assert await stored(store, tenant) == keys
    last = (passes * 2 - 1) * keys
    found = await repo.get_many(tenant, [(f"c-{n:07d}",) for n in range(keys)])
    assert found == [counter(tenant, n, last + n) for n in range(keys)]


@pytest.mark.parametrize(
    "bad",
    [{"counter_name": "c"}, "not an entity", None],
    ids=["mapping", "text", "none"],
)
async def test_a_non_entity_is_refused_and_a_single_chunk_writes_nothing(
    store: Store, tenant: PartitionKey, bad: object
) -> None:
    """An input of at most 25 records (one chunk on every adapter) is all validated before
    anything is written."""
    entities = [*counters(tenant, 20), bad, *(counter(tenant, n) for n in range(20, 25))]
    with pytest.raises(ValidationError) as caught:  # a non-entity among them, on purpose
        await store.repository(TENANT_COUNTERS).put_many(entities)  # type: ignore[arg-type]
    assert caught.value.field == "entities"
    assert "item 20" in caught.value.message
    assert await stored(store, tenant) == 0


async def test_an_entity_of_another_schema_is_refused(store: Store, tenant: PartitionKey) -> None:
    entities = [sample(AGENTS, tenant), sample(RUNS, tenant)]
    with pytest.raises(ValidationError) as caught:
        await store.repository(AGENTS).put_many(entities)  # type: ignore[arg-type]  # a Run too
    assert caught.value.field == "entities"
    assert "Run" in caught.value.message
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


async def test_an_oversize_record_names_its_field_and_a_single_chunk_writes_nothing(
    store: Store, tenant: PartitionKey
) -> None:
    agents = [sample(AGENTS, tenant) for _ in range(10)]
    agents.insert(5, sample(AGENTS, tenant, instructions="x" * 410_000))
    with pytest.raises(TooLarge) as caught:
        await store.repository(AGENTS).put_many(agents)
    assert caught.value.field == "instructions"
    assert await store.repository(AGENTS).count(tenant, Query()) == 0


@pytest.mark.parametrize("asynchronous", [False, True], ids=["generator", "async-generator"])
async def test_bad_input_after_whole_chunks_leaves_exactly_those_chunks_written(
    store: Store, tenant: PartitionKey, asynchronous: bool
) -> None:
    """Not atomic: every chunk before the bad record's is written, nothing from its own
    chunk or after. Item 1 010 lies in the chunk after the first 1 000 records on every
    adapter (chunks of 500 on memory and SQL, 25 on DynamoDB)."""

    def entities() -> Iterator[object]:
        yield from counters(tenant, 1_010)
        yield "not an entity"
        yield from (counter(tenant, n) for n in range(1_010, 1_100))

    async def async_entities() -> AsyncIterator[object]:
        for entity in entities():
            yield entity

    repo = store.repository(TENANT_COUNTERS)
    with pytest.raises(ValidationError) as caught:  # a non-entity among them, on purpose
        await repo.put_many(async_entities() if asynchronous else entities())  # type: ignore[arg-type]
    assert "item 1010" in caught.value.message
    await assert_reads_back(store, tenant, 1_000, step=1)


async def test_a_non_iterable_is_refused(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:  # not iterable, on purpose
        await store.repository(TENANT_COUNTERS).put_many(5)  # type: ignore[arg-type]
    assert caught.value.field == "entities"
