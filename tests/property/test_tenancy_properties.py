"""Properties of tenant identity (behaviour.md §1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.errors import InvalidPartitionKey
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.strategies import components, invalid_components, partition_keys


@given(partition_keys)
def test_the_text_form_parses_back_to_the_same_key(key: PartitionKey) -> None:
    assert PartitionKey.parse(str(key)) == key
    assert str(PartitionKey.parse(str(key))) == str(key)


@given(partition_keys, partition_keys)
def test_two_different_keys_never_share_a_text_form(a: PartitionKey, b: PartitionKey) -> None:
    assert (a == b) == (str(a) == str(b))


@given(invalid_components, components)
def test_an_invalid_endpoint_id_is_refused_naming_it(bad: str, good: str) -> None:
    with pytest.raises(InvalidPartitionKey) as caught:
        PartitionKey(bad, good)
    assert caught.value.field == "endpoint_id"


@given(components, invalid_components)
def test_an_invalid_part_id_is_refused_naming_it(good: str, bad: str) -> None:
    with pytest.raises(InvalidPartitionKey) as caught:
        PartitionKey(good, bad)
    assert caught.value.field == "part_id"


@given(st.text(max_size=30).filter(lambda s: s.count("#") != 1))
def test_text_without_exactly_one_separator_does_not_parse(text: str) -> None:
    with pytest.raises(InvalidPartitionKey):
        PartitionKey.parse(text)


@given(components, st.one_of(st.none(), st.just("")))
def test_a_missing_part_id_defaults_to_the_endpoint_id(
    endpoint_id: str, part_id: str | None
) -> None:
    context = TenantContext.from_request(endpoint_id, part_id)
    assert context.partition_key == PartitionKey(endpoint_id, endpoint_id)
    assert str(context.partition_key) == f"{endpoint_id}#{endpoint_id}"


@given(components, components)
def test_a_given_part_id_is_kept(endpoint_id: str, part_id: str) -> None:
    context = TenantContext.from_request(endpoint_id, part_id)
    assert context.partition_key == PartitionKey(endpoint_id, part_id)
    assert context.downstream_headers() == {"X-Part-ID": part_id}


@given(components)
def test_the_legacy_constructor_doubles_the_endpoint(endpoint_id: str) -> None:
    assert PartitionKey.from_legacy(endpoint_id) == PartitionKey(endpoint_id, endpoint_id)
