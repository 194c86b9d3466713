"""Usage metering's rules, pure: keys of limits and totals, periods, ceilings, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.entities import PERIODS, USAGE_LIMITS
from aace.domain.errors import LimitExceeded, ValidationError
from aace.domain.tenancy import PartitionKey
from aace.domain.usage_rules import (
    MAX_USAGE_KEY,
    USAGE_LIMIT_RULES,
    ceiling,
    check_period,
    check_usage_key,
    limit_key,
    period_start,
    refuse_at_ceiling,
    summary_key,
)
from tests.factories import sample

TENANT = PartitionKey("ep", "part")
moments = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=9))]),
)


@given(moments)
def test_a_period_starts_at_its_utc_day_or_month(now: datetime) -> None:
    day, month = period_start("day", now), period_start("month", now)
    assert day is not None
    assert month is not None
    assert day.tzinfo == UTC
    assert month.tzinfo == UTC
    assert month <= day <= now < day + timedelta(days=1)
    assert (month.day, day.time()) == (1, datetime.min.time())
    assert period_start("all", now) is None


def test_summary_keys_name_key_period_and_start() -> None:
    start = datetime(2026, 2, 1, tzinfo=UTC)
    assert summary_key("tokens", "month", start) == "tokens#month#2026-02-01T00:00:00+00:00"
    assert summary_key("tokens", "all", None) == "tokens#all#-"


def test_a_usage_key_fits_its_bytes() -> None:
    assert check_usage_key("é" * (MAX_USAGE_KEY // 2)) == "é" * (MAX_USAGE_KEY // 2)
    with pytest.raises(ValidationError) as caught:
        check_usage_key("é" * (MAX_USAGE_KEY // 2 + 1))
    assert caught.value.field == "usage_key"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"usage_key": "tokens"}, "tokens#month"),
        ({"usage_key": "runs", "period": "day"}, "runs#day"),
    ],
)
def test_a_limit_is_keyed_by_usage_key_and_period(data: dict[str, Any], key: str) -> None:
    assert limit_key(data) == key


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "usage_key"),
        ({"usage_key": ""}, "usage_key"),
        ({"usage_key": "t", "period": "week"}, "period"),
    ],
)
def test_a_limit_needs_a_usage_key_and_a_period(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        limit_key(data)
    assert caught.value.field == field


def test_check_period_takes_the_known_periods() -> None:
    assert [check_period(p) for p in PERIODS] == list(PERIODS)
    with pytest.raises(ValidationError):
        check_period("week")


@pytest.mark.parametrize("name", ["usage_key", "period"])
def test_a_limits_names_never_change(name: str) -> None:
    current = sample(USAGE_LIMITS, TENANT, usage_key="tokens", period="month", limit=5)
    raised = attrs.evolve(current, limit=9)
    assert USAGE_LIMIT_RULES.changed(current, raised, {"limit": 9}) is raised
    other = {"usage_key": "runs", "period": "day"}[name]
    changes: dict[str, Any] = {name: other}
    with pytest.raises(ValidationError) as caught:
        USAGE_LIMIT_RULES.changed(current, attrs.evolve(current, **changes), changes)
    assert caught.value.field == name


@given(st.integers(0, 100), st.booleans())
def test_a_ceiling_binds_unless_overage_is_allowed(most: int, overage: bool) -> None:
    limit = sample(USAGE_LIMITS, TENANT, usage_key="k", limit=most, allow_overage=overage)
    assert ceiling(limit) == (None if overage else most)
    assert ceiling(None) is None


@given(st.integers(0, 100), st.integers(0, 100))
def test_the_quota_refuses_at_its_ceiling(used: int, most: int) -> None:
    if used >= most:
        with pytest.raises(LimitExceeded, match=f"k is at {used} of {most} this day period"):
            refuse_at_ceiling("k", "day", used, most)
    else:
        refuse_at_ceiling("k", "day", used, most)
