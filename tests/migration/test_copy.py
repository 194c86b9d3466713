"""``aace copy`` between stores and ``aace tenant delete``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from aace.application.container import open_store
from aace.application.migration.copy import copied_schemas, copy_store, delete_tenant
from aace.application.migration.state import OPERATOR
from aace.application.settings import Settings
from aace.domain.errors import ValidationError
from aace.domain.tenancy import PartitionKey, as_operator
from tests.backends import TEST_SECRET
from tests.factories import sample
from tests.migration.conftest import opened, options
from tests.migration.legacy import new_endpoint
from tests.migration.stores import contents

pytestmark = pytest.mark.anyio


def sqlite(path: Path) -> Settings:
    return Settings(storage_url=f"sqlite:///{path}", cursor_secret=TEST_SECRET)


async def filled(settings: Settings, tenants: list[PartitionKey]) -> None:
    """Two records of every table for each tenant (registries: two in all)."""
    store = await open_store(settings)
    try:
        with as_operator(OPERATOR):
            for schema in copied_schemas(None):
                owners = [tenants[0]] if schema.platform else tenants
                entities = [sample(schema, owner) for owner in owners for _ in range(2)]
                await store.repository(schema).put_many(entities)
    finally:
        await store.close()


def _tenants() -> list[PartitionKey]:
    return [PartitionKey(new_endpoint(), part) for part in ("north", "south")]


async def test_sqlite_to_dynamodb_and_back_gives_equal_stores(
    tmp_path: Path, copy_target: Callable[[], Settings]
) -> None:
    first, dynamo, back = (
        sqlite(tmp_path / "first.db"),
        copy_target(),
        sqlite(tmp_path / "back.db"),
    )
    await filled(first, _tenants())
    original = await contents(first)
    assert len(original) == len(copied_schemas(None))
    there = await copy_store(first, dynamo, options(segments=1, page_size=7))
    assert there.ok, there.to_json()
    assert there.total.written == sum(len(records) for records in original.values())
    home = await copy_store(dynamo, back, options(segments=3, page_size=7))
    assert home.ok
    assert await contents(dynamo) == original
    assert await contents(back) == original
    again = await copy_store(first, dynamo, options(segments=1, job="again"))
    assert again.total.written == there.total.written  # newer wins: equal records rewritten
    assert await contents(dynamo) == original


async def test_one_tenant_is_copied_alone_and_a_store_is_not_its_own_target(
    tmp_path: Path, copy_target: Callable[[], Settings]
) -> None:
    source, target = sqlite(tmp_path / "source.db"), copy_target()
    tenants = _tenants()
    await filled(source, tenants)
    report = await copy_store(source, target, options(segments=2), tenant=tenants[1])
    assert set(report.as_dict()["tables"]) == {s.name for s in copied_schemas(tenants[1])}
    copied = await contents(target)
    assert {r["partition_key"] for table in copied.values() for r in table} == {str(tenants[1])}
    with pytest.raises(ValidationError) as refused:
        await copy_store(source, source, options())
    assert refused.value.field == "to"


async def test_a_tenant_is_deleted_from_every_table_and_no_other(tmp_path: Path) -> None:
    storage = sqlite(tmp_path / "store.db")
    gone, kept = _tenants()
    await filled(storage, [gone, kept])
    before = await contents(storage)
    dry = await delete_tenant(storage, gone, options(job="dry", dry_run=True))
    theirs = [r for table in before.values() for r in table if r.get("partition_key") == str(gone)]
    assert dry.total.written == len(theirs)
    assert await contents(storage) == before
    report = await delete_tenant(storage, gone, options(job="offboard"))
    assert report.ok
    assert report.total.written == dry.total.written
    after = await contents(storage)
    for name, records in before.items():
        remaining = [r for r in records if r.get("partition_key") != str(gone)]
        assert after.get(name, []) == remaining, name
    resumed = await delete_tenant(storage, gone, options(job="offboard", resume=True))
    assert resumed.total.written == report.total.written  # the whole job's counts


async def test_a_job_resumed_with_other_segments_or_another_tenant_is_refused(
    tmp_path: Path, copy_target: Callable[[], Settings]
) -> None:
    source, target = sqlite(tmp_path / "source.db"), copy_target()
    tenants = _tenants()
    await filled(source, tenants)
    await copy_store(source, target, options(segments=4, worker=1, workers=4))
    with pytest.raises(ValidationError) as segments:
        await copy_store(source, target, options(segments=1, resume=True))
    assert segments.value.field == "segments"
    await copy_store(source, target, options(segments=2, job="one"), tenant=tenants[0])
    with pytest.raises(ValidationError) as tenant:
        await copy_store(
            source, target, options(segments=2, job="one", resume=True), tenant=tenants[1]
        )
    assert tenant.value.field == "job"
    assert "was begun with tenant" in str(tenant.value)


async def test_one_tenant_then_the_whole_store_are_copied_into_every_adapter(
    tmp_path: Path, target: Settings
) -> None:
    """One tenant's copy holds that tenant's records only; the whole store's, everything;
    newer wins on a second copy (equal records rewritten)."""
    source = sqlite(tmp_path / "source.db")
    tenants = _tenants()
    await filled(source, tenants)
    original = await contents(source)
    async with opened(target) as store:
        alone = options(job="alone", segments=2)
        await copy_store(source, target, alone, tenant=tenants[1], store=store)
        copied = await contents(store)
        assert {r["partition_key"] for t in copied.values() for r in t} == {str(tenants[1])}
        report = await copy_store(source, target, options(segments=2, page_size=7), store=store)
        assert report.ok, report.to_json()
        assert await contents(store) == original
        again = await copy_store(source, target, options(job="again"), store=store)
        assert again.total.written == report.total.written
