"""Usage metering's rules, pure (services.md, "Usage metering"): how a limit and a period's total
are keyed, which limits bind, and when a quota refuses."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aace.domain.entities import PERIODS, UsageLimit
from aace.domain.entity_rules import EntityRules
from aace.domain.errors import LimitExceeded, QuotaExceeded, ValidationError

__all__ = [
    "MAX_USAGE_KEY",
    "USAGE_LIMIT_RULES",
    "ceiling",
    "check_period",
    "check_usage_key",
    "limit_key",
    "over_limit",
    "period_end",
    "period_start",
    "refuse_at_ceiling",
    "summary_key",
    "usage_limit_changed",
]

#: The longest usage key in UTF-8 bytes (its summaries' keys add the period and its start).
MAX_USAGE_KEY = 200


def check_usage_key(usage_key: str) -> str:
    """``usage_key``, if it fits :data:`MAX_USAGE_KEY`."""
    if len(usage_key.encode("utf-8")) > MAX_USAGE_KEY:
        raise ValidationError("usage_key", f"must be at most {MAX_USAGE_KEY} UTF-8 bytes")
    return usage_key


def check_period(period: Any) -> str:
    """``period``, if it is one of :data:`PERIODS`."""
    if period not in PERIODS:
        raise ValidationError("period", f"must be one of {', '.join(PERIODS)}")
    return str(period)


def period_start(period: str, now: datetime) -> datetime | None:
    """The start of the period ``now`` falls in (UTC); ``None`` for all time."""
    now = now.astimezone(UTC)
    if period == "day":
        return now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return None


def period_end(period: str, start: datetime | None) -> datetime | None:
    """When the period starting at ``start`` ends (the next one starts); ``None`` for all
    time."""
    if start is None or period not in ("day", "month"):
        return None
    if period == "day":
        return start + timedelta(days=1)
    if start.month == 12:
        return start.replace(year=start.year + 1, month=1)
    return start.replace(month=start.month + 1)


def over_limit(message: str, period: object, start: object) -> LimitExceeded:
    """The refusal of a quota: ``QuotaExceeded`` (with when it resets) for a period that
    ends, ``LimitExceeded`` for all time or a count."""
    moment = start if isinstance(start, datetime) else None
    end = period_end(period, moment) if isinstance(period, str) else None
    if end is None or not isinstance(period, str):
        return LimitExceeded(message)
    return QuotaExceeded(message, period=period, resets_at=end)


def summary_key(usage_key: str, period: str, start: datetime | None) -> str:
    """The key of ``usage_key``'s total over the period starting at ``start``."""
    return f"{usage_key}#{period}#{start.isoformat() if start else '-'}"


def limit_key(data: Mapping[str, Any]) -> str:
    """A new limit's key, ``"<usage_key>#<period>"`` (``period`` defaults to month): one
    limit per usage key and period."""
    usage_key, period = data.get("usage_key"), data.get("period", "month")
    if not isinstance(usage_key, str) or not usage_key:
        raise ValidationError("usage_key", "is required text")
    return f"{usage_key}#{check_period(period)}"


def usage_limit_changed(
    current: UsageLimit, changed: UsageLimit, changes: Mapping[str, Any]
) -> UsageLimit:
    """``usage_key`` and ``period`` name a limit: they never change."""
    for name in ("usage_key", "period"):
        if getattr(changed, name) != getattr(current, name):
            raise ValidationError(name, "names the limit: delete it and create another")
    return changed


def ceiling(limit: UsageLimit | None) -> int | None:
    """The total a limit refuses to pass: its ``limit``, unless it allows overage (or
    there is none)."""
    return None if limit is None or limit.allow_overage else limit.limit


def refuse_at_ceiling(
    usage_key: str, period: str, used: int, most: int, start: datetime | None = None
) -> None:
    """The quota bites before work starts: ``LimitExceeded`` once ``used`` reaches
    ``most`` (``QuotaExceeded`` when the period starting at ``start`` ends)."""
    if used >= most:
        raise over_limit(f"{usage_key} is at {used} of {most} this {period} period", period, start)


USAGE_LIMIT_RULES: EntityRules[UsageLimit] = EntityRules(changed=usage_limit_changed)
