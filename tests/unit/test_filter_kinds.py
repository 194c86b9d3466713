"""The filter kinds are a closed set: :data:`aace.domain.filters.Filter` names every one, each
is a frozen value with its reference semantics, and the contract suite lists with each kind
and refuses a malformed one of each on every adapter (tests/contract/test_filters.py,
test_filter_values.py), so a new kind is tested where it is added. The adapters translate the
union with ``match`` + ``assert_never``: mypy fails in an adapter that lacks a kind."""

from __future__ import annotations

import typing
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

from aace.domain import filters
from aace.domain.filters import All, Between, Contains, Equals, Filter, In, Nested, TimeRange
from tests.contract import test_filter_values, test_filters

KINDS = typing.get_args(Filter)
#: One filter of each kind, with a stored value it admits and one it does not.
SAMPLES: dict[type, tuple[Filter, Any, Any]] = {
    Equals: (Equals("a"), "a", "b"),
    In: (In(["a", "b"]), "b", "c"),
    Contains: (Contains("ot"), "Bot", "bit"),
    TimeRange: (
        TimeRange(after=datetime(2025, 1, 1, tzinfo=UTC)),
        datetime(2025, 1, 2, tzinfo=UTC),
        datetime(2025, 1, 1, tzinfo=UTC),
    ),
    Between: (Between(1, 2), 2, 3),
    Nested: (Nested("model", 4), {"model": 4.0}, {"model": True}),
    All: (All([In(["a", "b"]), "a"]), "a", "b"),
}


def _kinds_in(condition: Any) -> Iterator[type]:
    found = filters.as_filter(condition)
    yield type(found)
    if isinstance(found, All):
        for part in found.parts:
            yield from _kinds_in(part)


def test_filter_is_the_union_of_every_kind_the_module_defines() -> None:
    defined = {
        value
        for value in vars(filters).values()
        if isinstance(value, type)
        and value.__module__ == filters.__name__
        and hasattr(value, "matches")
    }
    assert set(KINDS) == defined == set(SAMPLES)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.__name__)
def test_each_kind_is_a_frozen_value_with_its_reference_semantics(kind: type) -> None:
    sample, admitted, refused = SAMPLES[kind]
    assert attrs.has(kind)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        sample.extra = 1  # type: ignore[union-attr]  # the write refused
    assert sample.matches(admitted)
    assert not sample.matches(refused)
    assert not sample.matches(None)
    assert sample.scope() == filters.as_filter(sample).scope()


def test_the_contract_suite_lists_with_every_kind_on_every_adapter() -> None:
    listed = {
        kind
        for case_filters, _ in test_filters.CASES.values()
        for condition in case_filters.values()
        for kind in _kinds_in(condition)
    }
    assert listed == set(KINDS)


def test_the_contract_suite_refuses_a_malformed_filter_of_every_kind() -> None:
    refused = {
        kind for _, condition in test_filters.BAD_FILTERS.values() for kind in _kinds_in(condition)
    }
    for _, query, *_ in test_filter_values.CASES.values():
        refused.update(
            kind for condition in query.filters.values() for kind in _kinds_in(condition)
        )
    assert refused == set(KINDS)
