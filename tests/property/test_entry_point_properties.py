"""Arbitrary Python values into every entry point of every service, on every adapter: the only
exceptions that come out are the package's own (behaviour.md §12)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aace.application.services import arguments
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.errors import AaceError
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.integration.entry_points import EntryPoint, build_service, entry_points

pytestmark = pytest.mark.anyio

#: Any text, lone surrogates and control characters included.
any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=12)


def _nested(depth: int) -> Any:
    value: Any = "leaf"
    for level in range(depth):
        value = {"k": value} if level % 2 else [value]
    return value


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**37, max_value=10**60),
    st.floats(),
    st.sampled_from([1e200, 1e-200, -1e126, 5e-324, float("nan"), float("-inf")]),
    any_text,
    st.binary(max_size=8),
    st.just(Decimal("1.5")),
    st.just(datetime(2026, 1, 1, tzinfo=UTC)),
    st.just(object()),
    st.integers(min_value=30, max_value=40).map(_nested),
)
arbitrary = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.tuples(children, children),
        st.frozensets(st.integers(), max_size=2),
        st.dictionaries(
            st.one_of(any_text, st.integers(), st.none(), st.tuples(st.integers())),
            children,
            max_size=3,
        ),
    ),
    max_leaves=8,
)
#: Every field name any entity has: input that reaches the entities' own validators.
FIELD_NAMES = sorted({a.name for schema in ALL_SCHEMAS for a in attrs.fields(schema.entity)})
inputs = st.one_of(
    arbitrary,
    st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), any_text), arbitrary, max_size=6),
)
ids = st.one_of(st.uuids().map(str), any_text, arbitrary)

_DRAWN: dict[Any, st.SearchStrategy[Any]] = {
    arguments.Id: ids,
    arguments.OptionalId: st.one_of(st.none(), ids),
    arguments.Input: inputs,
    arguments.Inputs: st.one_of(arbitrary, st.lists(inputs, max_size=3)),
    arguments.PageSize: st.one_of(st.integers(min_value=-3, max_value=1100), arbitrary),
    arguments.Cursor: st.one_of(st.none(), any_text, arbitrary),
    arguments.Keys: st.one_of(
        arbitrary, st.lists(st.one_of(ids, st.tuples(ids, ids)), max_size=3)
    ),
    arguments.Flag: st.one_of(st.booleans(), arbitrary),
    arguments.OptionalFlag: st.one_of(st.none(), st.booleans(), arbitrary),
    arguments.OptionalMoment: st.one_of(
        st.none(), st.datetimes(timezones=st.just(UTC)), arbitrary
    ),
    arguments.Window: st.one_of(st.timedeltas(), arbitrary),
    arguments.OptionalPageSize: st.one_of(st.none(), st.integers(-3, 50), arbitrary),
    arguments.Text: st.one_of(any_text, arbitrary),
    arguments.JsonValue: arbitrary,
    arguments.Amount: st.one_of(st.integers(-5, 5), arbitrary),
    arguments.Periods: st.one_of(
        st.lists(st.sampled_from(["day", "month", "none", "x"])), arbitrary
    ),
    arguments.Includes: st.one_of(
        st.none(),
        st.lists(st.sampled_from(["flow_snippet", "mcp_servers", "runs", "agent", "nope"])),
        arbitrary,
    ),
}
#: Keyword filters: names a listing knows (or not) with arbitrary values.
FILTER_NAMES = [
    "agent_uuid",
    "statuses",
    "thread_uuid",
    "user_id",
    "roles",
    "model",
    "updated_after",
    "min_tokens",
    "token_type",
    "no_such_filter",
]
keyword_filters = st.dictionaries(
    st.sampled_from(FILTER_NAMES), st.one_of(ids, arbitrary), max_size=2
)


ENTRY_POINTS = entry_points()
VALID = TenantContext(PartitionKey("placeholder", "tenant"))


def _calls(entry: EntryPoint) -> st.SearchStrategy[tuple[EntryPoint, dict[str, Any]]]:
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for name, hint in entry.parameters.items():
        if hint in (TenantContext, arguments.Actor):  # mostly a real tenant: reach storage
            fields[name] = st.one_of(st.just(VALID), st.just(VALID), arbitrary)
        else:
            fields[name] = _DRAWN[hint]
    if entry.rest is not None:  # key parts (and changes): mostly the right number of ids
        name, hint = entry.rest
        part = ids if hint == arguments.KeyPart else st.one_of(ids, inputs)
        size = len(entry.key_fields)
        right = st.tuples(*([ids] * size), *([inputs] if hint != arguments.KeyPart else []))
        fields[name] = st.one_of(right, right, st.lists(part, max_size=3).map(tuple))
    if "idempotency_key" in fields:
        fields["idempotency_key"] = st.one_of(st.uuids().map(str), fields["idempotency_key"])
    if "filters" in entry.varkw:
        fields["**"] = keyword_filters
    return st.tuples(st.just(entry), st.fixed_dictionaries(fields))


calls = st.sampled_from(ENTRY_POINTS).flatmap(_calls)


@settings(max_examples=max(100, settings().max_examples * len(ENTRY_POINTS)))
@given(call=calls)
async def test_arbitrary_arguments_raise_only_the_packages_own_errors(
    store: Store, tenant: PartitionKey, call: tuple[EntryPoint, dict[str, Any]]
) -> None:
    entry, values = call
    context = TenantContext(tenant)
    values = {k: context if v is VALID else v for k, v in values.items()}
    extra = values.pop("**", {})
    with contextlib.suppress(AaceError):  # anything else fails the test
        await entry.call(build_service(entry.service, store), values, **extra)
