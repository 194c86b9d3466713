"""The operator's scan across tenants (``Repository.scan``), on every adapter: segments that
split a table into disjoint parts whose union is all of it, paging by positions that a
later reader may resume from, the tenant filter, and bad arguments naming their field.

The module has a store of its own (a scan reads whole tables, and the session's shared store
holds every other test's records), shared by its tests: each test checks its own records
exactly, and every record of the table for repetition.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from aace.domain.entities import AGENTS, LLMS, RUNS
from aace.domain.errors import Forbidden, ValidationError
from aace.domain.ports import Repository, ScanPage, Store
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, PlatformContext, as_operator
from tests.backends import ADAPTERS, parametrized_store
from tests.factories import sample

pytestmark = pytest.mark.anyio

OPERATOR = PlatformContext(updated_by="operator@example.com")
#: A table hashed on the tenant, one hashed on a parent uuid, a platform registry.
KINDS = pytest.mark.parametrize("schema", [AGENTS, RUNS, LLMS], ids=lambda s: s.name)
TENANT_TABLES = pytest.mark.parametrize("schema", [AGENTS, RUNS], ids=lambda s: s.name)

Key = tuple[str, str]


@pytest.fixture(scope="module", params=ADAPTERS)
async def store(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Store]:
    """This module's own store per adapter, so scans read only this module's records."""
    async with parametrized_store(request) as opened:
        yield opened


def key_of(schema: EntitySchema[Any], entity: Any) -> Key:
    """The table key (hash value, range value) of an entity."""
    return str(getattr(entity, schema.hash_key)), str(getattr(entity, schema.range_key))


async def write(
    store: Store, schema: EntitySchema[Any], tenants: list[PartitionKey], each: int
) -> dict[Key, Any]:
    """``each`` records per tenant (as many, of no tenant, in a registry), several under
    each hash value of a table not hashed on the tenant; by key."""
    parents = [f"scan-{uuid.uuid4()}" for _ in range(3)]
    records = []
    for tenant in tenants:
        for n in range(each):
            shared = {} if schema.tenant_hashed else {schema.hash_key: parents[n % len(parents)]}
            records.append(sample(schema, tenant, **shared))
    with as_operator(OPERATOR):  # records of several tenants, or a registry's
        await store.repository(schema).put_many(records)
    return {key_of(schema, record): record for record in records}


async def scan(repo: Repository[Any], **arguments: Any) -> ScanPage[Any]:
    """``repo.scan(**arguments)``, in operator mode when it reads every tenant's records."""
    if arguments.get("tenant") is not None:
        return await repo.scan(**arguments)
    with as_operator(OPERATOR):
        return await repo.scan(**arguments)


async def read_segment(
    repo: Repository[Any],
    *,
    segment: int = 0,
    segments: int = 1,
    limit: int,
    tenant: PartitionKey | None = None,
    position: str | None = None,
) -> tuple[list[Any], int]:
    """Every record of one segment (after ``position``), page after page, and how many
    pages it took."""
    found: list[Any] = []
    for pages in range(1, 100_000):
        page = await scan(
            repo, segment=segment, segments=segments, position=position, limit=limit, tenant=tenant
        )
        assert len(page.items) <= limit
        found.extend(page.items)
        if page.position is None:
            return found, pages
        position = page.position
    raise AssertionError("the scan never ended")


async def read_segments(
    repo: Repository[Any], segments: int, limit: int, tenant: PartitionKey | None = None
) -> tuple[list[list[Any]], int]:
    """Each segment's records, and the pages read in all."""
    parts, pages = [], 0
    for segment in range(segments):
        found, taken = await read_segment(
            repo, segment=segment, segments=segments, limit=limit, tenant=tenant
        )
        parts.append(found)
        pages += taken
    return parts, pages


@KINDS
@pytest.mark.parametrize("segments", [1, 3])
async def test_the_segments_together_hold_every_record_of_every_tenant_once(
    store: Store,
    new_tenant: Callable[[], PartitionKey],
    schema: EntitySchema[Any],
    segments: int,
) -> None:
    written = await write(store, schema, [new_tenant() for _ in range(3)], 8)
    parts, pages = await read_segments(store.repository(schema), segments, limit=4)
    scanned = [key_of(schema, e) for part in parts for e in part]
    assert len(scanned) == len(set(scanned)), "a record was read twice"
    ours = {key_of(schema, e): e for part in parts for e in part if key_of(schema, e) in written}
    assert ours == written
    assert pages > segments  # the segments were read over several pages


@KINDS
async def test_segments_are_disjoint(
    store: Store, new_tenant: Callable[[], PartitionKey], schema: EntitySchema[Any]
) -> None:
    written = await write(store, schema, [new_tenant() for _ in range(2)], 10)
    parts, _ = await read_segments(store.repository(schema), 4, limit=3)
    keys = [{key_of(schema, e) for e in part} for part in parts]
    for first in range(len(keys)):
        for second in range(first + 1, len(keys)):
            assert not keys[first] & keys[second], (first, second)
    assert set(written) <= set().union(*keys)
    if store.adapter != "dynamodb":  # DynamoDB splits by partition: maybe all in one
        assert sum(bool(part & set(written)) for part in keys) > 1


@KINDS
@pytest.mark.parametrize("segments", [1, 2])
async def test_a_scan_resumed_from_a_saved_position_goes_on_without_loss_or_repetition(
    store: Store,
    new_tenant: Callable[[], PartitionKey],
    schema: EntitySchema[Any],
    segments: int,
) -> None:
    await write(store, schema, [new_tenant() for _ in range(4)], 5)
    repo = store.repository(schema)
    parts, _ = await read_segments(repo, segments, limit=3)
    segment = max(range(segments), key=lambda n: len(parts[n]))
    whole = parts[segment]
    first = await scan(repo, segment=segment, segments=segments, limit=3)
    second = await scan(repo, segment=segment, segments=segments, limit=3, position=first.position)
    assert second.position is not None
    assert isinstance(json.loads(second.position), dict)  # the last key, as plain JSON
    saved = json.dumps({"position": second.position})  # kept as a migration would keep it

    later = store.repository(schema)  # another reader picks the scan up
    rest, _ = await read_segment(
        later,
        segment=segment,
        segments=segments,
        limit=3,
        position=json.loads(saved)["position"],
    )
    resumed = [*first.items, *second.items, *rest]
    assert [key_of(schema, e) for e in resumed] == [key_of(schema, e) for e in whole]
    assert resumed == whole


async def test_a_position_of_another_segment_is_refused(
    store: Store, new_tenant: Callable[[], PartitionKey]
) -> None:
    await write(store, RUNS, [new_tenant() for _ in range(3)], 6)
    repo = store.repository(RUNS)
    for segment in (0, 1):  # the first segment with a record and more to read
        page = await scan(repo, segment=segment, segments=2, limit=1)
        while not page.items and page.position is not None:
            page = await scan(repo, segment=segment, segments=2, limit=1, position=page.position)
        if page.position is not None:
            break
    assert page.position is not None
    with pytest.raises(ValidationError) as caught:
        await scan(repo, segment=1 - segment, segments=2, position=page.position)
    assert caught.value.field == "position"


@TENANT_TABLES
@pytest.mark.parametrize("segments", [1, 3])
async def test_the_tenant_filter_reads_that_tenants_records_only(
    store: Store,
    new_tenant: Callable[[], PartitionKey],
    schema: EntitySchema[Any],
    segments: int,
) -> None:
    tenant, *others = [new_tenant() for _ in range(3)]
    written = await write(store, schema, [tenant, *others], 7)
    parts, _ = await read_segments(store.repository(schema), segments, limit=3, tenant=tenant)
    scanned = [e for part in parts for e in part]
    assert all(e.partition_key == tenant for e in scanned)
    assert {key_of(schema, e): e for e in scanned} == {
        k: e for k, e in written.items() if e.partition_key == tenant
    }
    assert len(scanned) == 7


@TENANT_TABLES
async def test_a_tenant_with_no_records_scans_empty(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    parts, _ = await read_segments(store.repository(schema), 2, limit=5, tenant=tenant)
    assert parts == [[], []]


async def test_the_tenant_filter_on_a_platform_registry_is_refused(
    store: Store, tenant: PartitionKey
) -> None:
    with pytest.raises(ValidationError) as caught:
        await scan(store.repository(LLMS), tenant=tenant)
    assert caught.value.field == "tenant"


@TENANT_TABLES
async def test_a_scan_of_every_tenant_outside_operator_mode_is_forbidden(
    store: Store, tenant: PartitionKey, schema: EntitySchema[Any]
) -> None:
    await write(store, schema, [tenant], 2)
    with pytest.raises(Forbidden, match="crosses tenants"):
        await store.repository(schema).scan()
    # One tenant's records are its own to scan (every page: DynamoDB's may be empty).
    parts, _ = await read_segments(store.repository(schema), 1, limit=100, tenant=tenant)
    assert {e.partition_key for e in parts[0]} == {tenant}


async def test_a_registry_scan_needs_no_operator(store: Store) -> None:
    written = await write(store, LLMS, [PartitionKey("any", "tenant")], 3)
    repo, position = store.repository(LLMS), None
    found: set[Key] = set()
    while True:  # every tenant reads the registries: no operator mode
        page = await repo.scan(limit=50, position=position)
        found.update(key_of(LLMS, e) for e in page.items)
        if page.position is None:
            break
        position = page.position
    assert set(written) <= found


def _keys(schema: EntitySchema[Any], hash_value: object, range_value: object) -> str:
    return json.dumps({schema.hash_key: hash_value, schema.range_key: range_value})


#: (field, arguments of scan) on AGENTS; a callable position is made from the schema.
BAD = [
    ("segments", {"segments": 0}),
    ("segments", {"segments": 1_000_001}),
    ("segments", {"segments": "2"}),
    ("segments", {"segments": 2.0}),
    ("segments", {"segments": None}),
    ("segment", {"segment": -1}),
    ("segment", {"segment": 3, "segments": 3}),
    ("segment", {"segment": 1.0, "segments": 2}),
    ("segment", {"segment": True, "segments": 2}),
    ("segment", {"segment": None}),
    ("limit", {"limit": 0}),
    ("limit", {"limit": 1001}),
    ("limit", {"limit": "10"}),
    ("limit", {"limit": None}),
    ("position", {"position": ""}),
    ("position", {"position": "not json"}),
    ("position", {"position": "null"}),
    ("position", {"position": "[]"}),
    ("position", {"position": "{}"}),
    ("position", {"position": '"text"'}),
    ("position", {"position": "[" * 50_000}),
    ("position", {"position": 17}),
    ("position", {"position": b"{}"}),
    ("position", {"position": '{"x": "y"}'}),
    ("position", {"position": lambda s: _keys(s, 1, 2)}),
    ("position", {"position": lambda s: _keys(s, "", "")}),
    ("position", {"position": lambda s: _keys(s, {"S": ""}, {"S": "x"})}),
    ("position", {"position": lambda s: _keys(s, {"S": "a#b"}, {"N": "1"})}),
    ("position", {"position": lambda s: _keys(s, "a#b\x00", "x")}),
    ("position", {"position": lambda s: _keys(s, {"S": "a#b\x00"}, {"S": "x"})}),
    ("position", {"position": lambda s: _keys(s, "a#b", "x" * 1025)}),
    ("position", {"position": lambda s: _keys(s, {"S": "a#b"}, {"S": "x" * 1025})}),
    ("position", {"position": lambda s: json.dumps({s.hash_key: "a#b", "other": "x"})}),
    ("tenant", {"tenant": "ep#tenant"}),
    ("tenant", {"tenant": ("ep", "tenant")}),
]


@pytest.mark.parametrize(
    ("field", "arguments"), BAD, ids=[f"{field}-{n}" for n, (field, _) in enumerate(BAD)]
)
async def test_a_bad_argument_is_a_validation_error_naming_it(
    store: Store, field: str, arguments: dict[str, Any]
) -> None:
    arguments = {
        name: value(AGENTS) if callable(value) else value for name, value in arguments.items()
    }
    with pytest.raises(ValidationError) as caught:
        await scan(store.repository(AGENTS), **arguments)
    assert caught.value.field == field


async def test_a_position_of_another_tenant_is_refused_under_the_tenant_filter(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey
) -> None:
    await write(store, AGENTS, [tenant], 3)
    repo = store.repository(AGENTS)
    page = await scan(repo, tenant=tenant, limit=1)
    assert page.position is not None
    with pytest.raises(ValidationError) as caught:
        await scan(repo, tenant=other_tenant, position=page.position)
    assert caught.value.field == "position"
