"""Usage metering (records this package adds): a tenant's limits per usage key and period,
and its running totals per usage key and period start."""

from __future__ import annotations

from datetime import datetime

import attrs

from aace.domain.entities.base import AuditedEntity, Entity, flag, status_field
from aace.domain.errors import ValidationError
from aace.domain.fields import id_field, integer, timestamp
from aace.domain.schema import EntitySchema, TableGroup

__all__ = ["PERIODS", "USAGE_LIMITS", "USAGE_SUMMARIES", "UsageLimit", "UsageSummary"]

#: The periods a usage total runs over: a UTC day, a UTC month, or all time.
PERIODS = ("day", "month", "none")


@attrs.frozen(kw_only=True)
class UsageLimit(AuditedEntity):
    """At most ``limit`` of ``usage_key`` per ``period`` (``allow_overage``: count beyond it
    instead of refusing). Keyed ``"<usage_key>#<period>"``."""

    limit_key: str = id_field()
    usage_key: str = id_field()
    period: str = status_field("month", PERIODS)
    limit: int = attrs.field(validator=lambda _, a, v: _non_negative(a.name, v))
    allow_overage: bool = flag(default=False)
    status: str = status_field("active", ("active", "inactive"))


USAGE_LIMITS = EntitySchema(
    name="usage_limits",
    entity=UsageLimit,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="limit_key",
)


def _non_negative(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10**15:
        raise ValidationError(name, "must be a whole number from 0 up, under 10**15")


def _optional_time(_: object, attribute: attrs.Attribute[datetime | None], value: object) -> None:
    if value is not None and not (isinstance(value, datetime) and value.tzinfo is not None):
        raise ValidationError(attribute.name, "must be an aware datetime or None")


@attrs.frozen(kw_only=True)
class UsageSummary(Entity):
    """The running total of ``usage_key`` over one period (``period_start`` in UTC; ``None``
    for all time). Keyed ``"<usage_key>#<period>#<period_start>"``; ``value`` is the total."""

    summary_key: str = id_field()
    usage_key: str = id_field()
    period: str = status_field("month", PERIODS)
    period_start: datetime | None = attrs.field(default=None, validator=_optional_time)
    value: int = integer(default=0)
    updated_at: datetime = timestamp()


USAGE_SUMMARIES = EntitySchema(
    name="usage_summaries",
    entity=UsageSummary,
    group=TableGroup.AGENT,
    hash_key="partition_key",
    range_key="summary_key",
)
