"""Every kind of write condition, put and delete, over a missing record, the tenant's own and
another tenant's, on every adapter: the outcome the reference (``domain/ports.py``) gives.
The table names every :class:`ConditionKind`, so a new kind fails here until each adapter
has been shown to handle it (mypy already fails in an adapter whose ``match`` lacks it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from aace.domain.entities import RUNS
from aace.domain.errors import AaceError, Conflict, NotFound
from aace.domain.ports import Condition, ConditionKind, Store
from aace.domain.tenancy import PartitionKey
from tests.factories import sample

pytestmark = pytest.mark.anyio

#: A table hashed on a parent, so a record of another tenant can sit under the same key.
SCHEMA = RUNS
OK = None
#: (kind, verb) -> the outcome over (a missing record, the tenant's own, another tenant's).
OUTCOMES: dict[tuple[ConditionKind, str], tuple[type[AaceError] | None, ...]] = {
    (ConditionKind.ANY, "put"): (OK, OK, Conflict),
    (ConditionKind.ANY, "delete"): (OK, OK, OK),
    (ConditionKind.ABSENT, "put"): (OK, Conflict, Conflict),
    (ConditionKind.ABSENT, "delete"): (OK, Conflict, Conflict),
    (ConditionKind.PRESENT, "put"): (NotFound, OK, NotFound),
    (ConditionKind.PRESENT, "delete"): (NotFound, OK, NotFound),
    (ConditionKind.NOT_NEWER, "put"): (OK, OK, Conflict),
    (ConditionKind.NOT_NEWER, "delete"): (OK, OK, Conflict),
}
STATES = ("missing", "own", "foreign")


def test_the_table_names_every_condition_kind() -> None:
    assert {kind for kind, _ in OUTCOMES} == set(ConditionKind)


def _condition(kind: ConditionKind, written: Any) -> Condition:
    match kind:
        case ConditionKind.NOT_NEWER:
            return Condition.not_newer("updated_at", written.updated_at)
        case ConditionKind.PRESENT:
            return Condition.present()
        case _:
            return Condition(kind)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize(("kind", "verb"), OUTCOMES, ids=lambda v: getattr(v, "value", v))
async def test_each_condition_kind_gives_the_reference_outcome(
    store: Store,
    tenant: PartitionKey,
    other_tenant: PartitionKey,
    kind: ConditionKind,
    verb: str,
    state: str,
) -> None:
    repo = store.repository(SCHEMA)
    stored = sample(SCHEMA, other_tenant if state == "foreign" else tenant)
    if state != "missing":
        await repo.put(stored)
    key = SCHEMA.key_of(stored)
    written = attrs.evolve(
        sample(SCHEMA, tenant, thread_uuid=key[0], run_uuid=key[1]),
        updated_at=stored.updated_at + timedelta(seconds=1),
    )
    condition = _condition(kind, written)
    expected = OUTCOMES[kind, verb][STATES.index(state)]

    async def write() -> None:
        if verb == "put":
            await repo.put(written, condition=condition)
        else:
            await repo.delete(tenant, key, condition=condition)

    if expected is None:
        await write()
    else:
        with pytest.raises(expected) as caught:
            await write()
        assert type(caught.value) is expected
    mine = await repo.find(tenant, key)
    if expected is not None:
        assert mine == (stored if state == "own" else None)
    else:
        assert mine == (written if verb == "put" else None)
    if state == "foreign":  # never touched
        assert await repo.find(other_tenant, key) == stored
