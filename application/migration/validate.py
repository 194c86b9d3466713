"""``aace migrate validate``: does the target hold what the legacy tables say it should?

Per table and per tenant, the source's and the target's record counts; every record a
compared target record's attributes, tenant attributes included, equal the migrated source
record's (a sample of each table, or all with ``full``); a backfilled table has no record
left without ``partition_key``. Every problem names the record (or the tenant) and why.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

import attrs

from aace.application.migration.bulk import Prepared
from aace.application.migration.counters import scan_all
from aace.application.migration.endpoints import legacy_source, target_store
from aace.application.migration.legacy import Source, TablePlan, plan_tables, prepare_page
from aace.application.migration.state import OPERATOR
from aace.application.settings import Settings
from aace.domain.errors import AaceError
from aace.domain.legacy_source import LegacySource, SourceRecord
from aace.domain.migration import Treatment, Unreadable
from aace.domain.ports import Repository, Store
from aace.domain.records import to_record
from aace.domain.schema import TENANT_ATTRS
from aace.domain.tenancy import PartitionKey, as_operator
from aace.domain.unit_of_work import NO_TENANT

__all__ = ["TableCheck", "Validation", "validate"]

#: How many problems one table keeps with their detail.
MAX_PROBLEMS = 1000
PLATFORM = "(platform)"


@attrs.define
class TableCheck:
    """One table's counts and problems."""

    name: str
    source: Counter[str] = attrs.field(factory=Counter)
    target: Counter[str] = attrs.field(factory=Counter)
    compared: int = 0
    problems: list[dict[str, Any]] = attrs.field(factory=list)

    def problem(self, key: Any, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"key": key, "reason": reason})

    @property
    def ok(self) -> bool:
        return not self.problems and self.source == self.target

    def as_dict(self) -> dict[str, Any]:
        tenants = sorted(set(self.source) | set(self.target))
        return {
            "ok": self.ok,
            "source": sum(self.source.values()),
            "target": sum(self.target.values()),
            "compared": self.compared,
            "tenants": {t: {"source": self.source[t], "target": self.target[t]} for t in tenants},
            "problems": self.problems,
        }


@attrs.define
class Validation:
    tables: dict[str, TableCheck] = attrs.field(factory=dict)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.tables.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": "validate",
            "ok": self.ok,
            "tables": {name: check.as_dict() for name, check in self.tables.items()},
        }


def _differences(expected: Any, found: Any, schema: Any) -> list[str]:
    want, have = to_record(schema, expected), to_record(schema, found)
    return sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))


async def _compare(
    repository: Repository[Any], check: TableCheck, expected: list[Any], platform: bool
) -> None:
    """Compare ``expected`` entities with the target's, one batch read per tenant."""
    schema = repository.schema
    by_tenant: dict[PartitionKey, list[Any]] = defaultdict(list)
    for entity in expected:
        by_tenant[NO_TENANT if platform else entity.partition_key].append(entity)
    for tenant, entities in by_tenant.items():
        keys = [schema.key_of(e) for e in entities]
        try:
            found = await repository.get_many(tenant, keys)
        except AaceError:  # a record the target cannot read: find which, one by one
            found = []
            for key in keys:
                try:
                    found.append(await repository.find(tenant, key))
                except AaceError as exc:
                    check.problem(list(key), f"unreadable in the target: {exc}")
                    found.append(False)
        for entity, stored in zip(entities, found, strict=True):
            check.compared += 1
            if stored is False:
                continue
            if stored is None:
                check.problem(list(schema.key_of(entity)), "missing in the target")
                continue
            differing = _differences(entity, stored, schema)
            if differing:
                check.problem(list(schema.key_of(entity)), f"differs in {', '.join(differing)}")


async def _check_table(
    legacy: LegacySource, store: Store, p: TablePlan, full: bool, sample: int
) -> TableCheck:
    table = p.table
    check = TableCheck(table.name)
    platform = table.treatment is Treatment.REGISTRY
    position: str | None = None
    while True:
        page = await legacy.page(table, 0, 1, position, 1000)
        records, position = page.records, page.position
        prepared = await prepare_page(legacy, table, records, in_place=p.in_place)
        expected: list[Any] = []
        for ready in prepared:
            check.source[PLATFORM if platform else str(ready.tenant)] += 1
            if ready.error is not None:
                check.problem(ready.key, f"the source record is refused: {ready.error}")
            elif not p.in_place and (full or check.compared + len(expected) < sample):
                expected.append(ready.value)
        if p.in_place and not platform:
            _check_in_place(check, records, prepared)
        elif not p.in_place:
            await _compare(store.repository(table.schema), check, expected, platform)
        if position is None:
            break
    if p.in_place:
        check.target = Counter(check.source)
    else:
        try:
            async for entity in scan_all(store, table.schema):
                check.target[PLATFORM if platform else str(entity.partition_key)] += 1
        except AaceError as exc:
            check.problem(None, f"the target cannot be read in full: {exc}")
    for tenant in sorted(set(check.source) | set(check.target)):
        if check.source[tenant] != check.target[tenant]:
            reason = f"source has {check.source[tenant]}, target {check.target[tenant]}"
            check.problem({"tenant": tenant}, reason)
    return check


def _check_in_place(
    check: TableCheck, records: Sequence[SourceRecord], prepared: Sequence[Prepared]
) -> None:
    """A backfilled table is its own target: every record has all three tenant attributes
    (that they agree, :func:`tenant_of` has checked while preparing)."""
    for record, ready in zip(records, prepared, strict=True):
        if ready.error is not None or isinstance(record, Unreadable):
            continue
        check.compared += 1
        missing = [n for n in TENANT_ATTRS if record.get(n) is None]
        if missing:
            check.problem(ready.key, f"not backfilled: no {', '.join(missing)}")


async def validate(
    source: Source,
    target: Settings,
    names: Sequence[str] = (),
    *,
    full: bool = False,
    sample: int = 1000,
    store: Store | None = None,
) -> Validation:
    """Check the target against the legacy tables (see the module's text)."""
    result = Validation()
    async with legacy_source(source) as legacy:
        plans = await plan_tables(legacy, target, names, count_tenants=False)
        async with target_store(target, store, create=False) as opened:
            with as_operator(OPERATOR):
                for p in plans:
                    if p.records is not None:
                        checked = await _check_table(legacy, opened, p, full, sample)
                        result.tables[p.table.name] = checked
    return result
