"""How every retry loop of the package waits: one policy, a value (``aace.adapters.retrying``
runs it).

Adapters retry what the backend reports as transient (a busy SQLite file, a deadlock, a
throttled DynamoDB request); services retry optimistic writes that lost a race. All of them
wait the same way: capped exponential backoff with "equal jitter" (each wait lies in
``[d/2, d]`` for ``d = min(max_delay, base_delay * 2**n)``), so concurrent losers spread out
yet every wait is longer than the one before it could have been, within a number of tries
and, optionally, a deadline.
"""

from __future__ import annotations

from typing import Any

import attrs

from aace.domain.errors import ValidationError

__all__ = ["RetryPolicy"]


def _positive(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name in {"attempts", "deadline"}:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError(attribute.name, f"must be a positive number, got {value!r}")


@attrs.frozen
class RetryPolicy:
    """When to stop retrying and how long to wait in between.

    ``attempts`` counts every try, the first included (``None``: no limit); ``deadline`` is
    the time in seconds after the first try past which no retry starts (``None``: no limit).
    At least one of them must be set.
    """

    attempts: int | None = attrs.field(default=8, validator=_positive)
    base_delay: float = attrs.field(default=0.01, validator=_positive)
    max_delay: float = attrs.field(default=1.0, validator=_positive)
    deadline: float | None = attrs.field(default=None, validator=_positive)

    def __attrs_post_init__(self) -> None:
        if self.attempts is None and self.deadline is None:
            raise ValidationError("attempts", "or deadline must be set")

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry + 1`` (``retry`` counts from 0)."""
        return float(min(self.max_delay, self.base_delay * 2**retry))
