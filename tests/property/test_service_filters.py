"""Every keyword filter of every service, against a plain-Python model of the same records,
on every adapter: random records, random filters, all pages of a small page size; the
listing must hold exactly the records the model admits, in the service's order."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aace.application.container import wire_services
from aace.application.roster import service_types
from aace.application.settings import Settings
from aace.domain.filters import All, Between, Contains, Equals, In, Nested, TimeRange
from aace.domain.ports import Store
from aace.domain.schema import AttrKind
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext, as_operator
from tests.factories import sample
from tests.strategies import fewer_examples

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MOMENTS = [T0 + timedelta(minutes=m) for m in range(4)]
TEXT = ["a", "ab", "b", "ba"]
NUMBERS = [0, 1, 2, 5]
#: Values a record's attribute may take, by attribute name, else by kind.
POOLS: dict[str, list[Any]] = {
    "status": ["active", "inactive"],
    "configuration": [{"model": "a"}, {"model": "b"}, {"model": 1}, {}],
    "updated_at": MOMENTS,
    "created_at": MOMENTS,
    "role": ["user", "assistant"],
    "trained": [True, False],
    "agent_action": [
        {"primary_path": True, "user_in_the_loop": "u", "predecessors": ["A"]},
        {"primary_path": False, "predecessors": ["A", "B"]},
        {"primary_path": 1, "predecessors": "A"},
        {},
    ],
    "agent_uuid": ["A", "B", "C"],
    "state": ["initial", "pending", "completed"],
    "period": ["day", "month", "none"],
}
#: Values of keywords that look inside a map.
KEYWORD_POOLS: dict[str, list[Any]] = {
    "model": ["a", "b", 1],
    "primary_path": [True, False, 1],
    "user_in_the_loop": ["u", "v"],
    "successors_of": ["A", "B"],
}
KIND_POOLS: dict[AttrKind, list[Any]] = {
    AttrKind.S: TEXT,
    AttrKind.N: NUMBERS,
    AttrKind.B: [True, False],
    AttrKind.DT: MOMENTS,
}
OPERATOR = PlatformContext(updated_by="operator")
LISTED = {name: service for name, service in service_types().items() if hasattr(service, "spec")}


def _admits(made: Any, stored: Any) -> bool:
    """The model: what each kind of filter means, in plain Python."""
    if isinstance(made, In):
        return stored is not None and stored in made.values
    if isinstance(made, Contains):
        return isinstance(stored, str) and made.text in stored
    if isinstance(made, All):
        return all(_admits(part, stored) for part in made.parts)
    if isinstance(made, Nested):
        inner = stored.get(made.path[0]) if isinstance(stored, dict) else None
        if made.in_list:
            return isinstance(inner, list) and any(
                type(x) is type(made.value) and x == made.value for x in inner
            )
        return type(inner) is type(made.value) and inner == made.value
    if isinstance(made, Between):
        low = made.low if made.low is not None else float("-inf")
        high = made.high if made.high is not None else float("inf")
        return stored is not None and low <= stored <= high
    if isinstance(made, TimeRange):
        return (made.after is None or stored > made.after) and (
            made.before is None or stored < made.before
        )
    value = made.value if isinstance(made, Equals) else made
    return bool(stored == value)


def _keyword_values(name: str, arg: Any, kind: AttrKind) -> st.SearchStrategy[Any]:
    """Values a keyword is called with: from the same pools as the records."""
    if name in KEYWORD_POOLS:
        return st.sampled_from(KEYWORD_POOLS[name])
    pool = POOLS.get(arg.attribute, KIND_POOLS.get(kind, TEXT))
    if arg.make is In:
        return st.lists(st.sampled_from(pool), max_size=2)
    probe = arg.make(MOMENTS[0] if kind is AttrKind.DT else 0)
    if isinstance(probe, Contains):
        return st.sampled_from(["a", "b", "ba"])
    return st.sampled_from(pool)


def _record_values(schema: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Random values for every attribute a filter of the service reads."""
    listing = LISTED_SPECS[schema.name]
    kinds = schema.attribute_kinds
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for arg in listing.all_filters(schema).values():
        if arg.attribute not in schema.key_fields:
            pool = POOLS.get(arg.attribute, KIND_POOLS.get(kinds[arg.attribute], TEXT))
            fields[arg.attribute] = st.sampled_from(pool)
    return st.fixed_dictionaries(fields)


LISTED_SPECS = {service.spec.schema.name: service.spec.listing for service in LISTED.values()}


def _calls(name: str) -> st.SearchStrategy[tuple[list[dict[str, Any]], dict[str, Any]]]:
    schema = LISTED[name].spec.schema
    known = LISTED[name].spec.listing.all_filters(schema)
    optional = {
        keyword: _keyword_values(keyword, arg, schema.attribute_kinds[arg.attribute])
        for keyword, arg in known.items()
        if arg.attribute != schema.hash_key or schema.tenant_hashed
    }
    records = st.lists(_record_values(schema), max_size=7)
    return st.tuples(records, st.fixed_dictionaries({}, optional=optional))


@pytest.mark.parametrize("name", sorted(LISTED))
@settings(max_examples=fewer_examples(3, at_least=8), deadline=None)
@given(data=st.data())
async def test_every_filter_agrees_with_the_model(
    store: Store, name: str, data: st.DataObject
) -> None:
    service = wire_services(Settings(), store)[name]
    schema = service.schema
    listing = service.spec.listing
    rows, keywords = data.draw(_calls(name))
    tenant = PartitionKey("ep-filters", uuid.uuid4().hex[:12])
    group = f"g-{uuid.uuid4().hex[:12]}"  # the hash value, for grouped tables
    entities = []
    for number, values in enumerate(rows):
        keys = dict.fromkeys(schema.key_fields, f"k{number:02d}")
        if not schema.tenant_hashed:
            keys[schema.hash_key] = group
        entities.append(sample(schema, tenant, **{**values, **keys}))
    repository = store.repository(schema)
    if schema.platform:
        with as_operator(OPERATOR):
            await repository.put_many(entities)
    else:
        await repository.put_many(entities)
    known = listing.all_filters(schema)
    if not schema.tenant_hashed and schema.name != "async_tasks":
        keywords = {**keywords, schema.hash_key: group}
    expected = [
        e
        for e in entities
        if all(
            _admits(known[k].make(v), getattr(e, known[k].attribute))
            for k, v in keywords.items()
            if v is not None
        )
    ]
    context = TenantContext(tenant, updated_by="reader")
    found: list[Any] = []
    cursor = None
    while True:
        page = await service.list(context, limit=3, cursor=cursor, **keywords)
        found.extend(page.items)
        assert len(page.items) == 3 or page.next_cursor is None  # full unless the end
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(schema.key_of(e) for e in found) == sorted(schema.key_of(e) for e in expected)
    if listing.order is not None:  # in the service's order (ties: by key, per adapter)
        stamps = [getattr(e, listing.order) for e in found]
        assert stamps == sorted(stamps, reverse=listing.descending)
    assert await service.count(context, **keywords) == len(expected)
