"""Tenant identity rules and their messages (behaviour.md §1)."""

from __future__ import annotations

import pytest

from aace.domain.errors import InvalidPartitionKey, ValidationError
from aace.domain.tenancy import PartitionKey, TenantContext


@pytest.mark.parametrize(
    ("endpoint_id", "part_id", "field", "rule"),
    [
        ("", "acme", "endpoint_id", "must not be empty"),
        ("ep", "", "part_id", "must not be empty"),
        ("e#p", "acme", "endpoint_id", "must not contain '#'"),
        ("ep", "ac\x00me", "part_id", "control characters"),
        (" ep", "acme", "endpoint_id", "leading or trailing whitespace"),
        ("ep", "acme\n", "part_id", "control characters"),
        ("ep", "acme ", "part_id", "leading or trailing whitespace"),
        ("e" * 1024, "p" * 1024, "partition_key", "more than the limit of 2048"),
    ],
)
def test_an_invalid_component_is_refused_naming_it_and_the_rule(
    endpoint_id: str, part_id: str, field: str, rule: str
) -> None:
    with pytest.raises(InvalidPartitionKey) as caught:
        PartitionKey(endpoint_id, part_id)
    assert caught.value.field == field
    assert rule in str(caught.value)


def test_the_largest_key_fits_exactly() -> None:
    key = PartitionKey("e" * 1023, "p" * 1024)
    assert len(str(key).encode()) == 2048


def test_the_byte_limit_counts_utf8_bytes() -> None:
    with pytest.raises(InvalidPartitionKey):
        PartitionKey("é" * 600, "ü" * 500)


def test_parse_refuses_zero_or_several_separators() -> None:
    for text in ("ep", "a#b#c", "#", ""):
        with pytest.raises(InvalidPartitionKey):
            PartitionKey.parse(text)


def test_a_non_string_component_is_refused() -> None:
    with pytest.raises(InvalidPartitionKey) as caught:
        PartitionKey(42, "x")  # type: ignore[arg-type]  # a number, on purpose
    assert caught.value.field == "endpoint_id"


def test_a_context_needs_an_endpoint() -> None:
    for missing in (None, ""):
        with pytest.raises(InvalidPartitionKey) as caught:
            TenantContext.from_request(missing, "acme")
        assert caught.value.field == "endpoint_id"


def test_a_context_needs_someone_acting() -> None:
    with pytest.raises(ValidationError) as caught:
        TenantContext(PartitionKey("ep", "acme"), updated_by=" ")
    assert caught.value.field == "updated_by"


def test_downstream_calls_carry_the_same_tenant() -> None:
    context = TenantContext.from_request("aws-prod-us-east-1", "acme-corp")
    assert context.downstream_payload() == {
        "partition_key": "aws-prod-us-east-1#acme-corp",
        "endpoint_id": "aws-prod-us-east-1",
        "part_id": "acme-corp",
    }
    assert context.downstream_headers() == {"X-Part-ID": "acme-corp"}
