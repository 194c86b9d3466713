"""How every retry loop of the package waits: one policy, run by tenacity.

Adapters retry what the backend reports as transient (a busy SQLite file, a deadlock, a
throttled DynamoDB request); services retry optimistic writes that lost a race. All of them
wait the same way: capped exponential backoff with "equal jitter" (each wait lies in
``[d/2, d]`` for ``d = min(max_delay, base_delay * 2**n)``), so concurrent losers spread out
yet every wait is longer than the one before it could have been, within a number of tries
and, optionally, a deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import attrs
import tenacity

from aace.domain.errors import ValidationError

__all__ = ["RetryPolicy", "Sleep"]

T = TypeVar("T")

#: How a retry loop waits (tests substitute a recorder).
Sleep = Callable[[float], Awaitable[None]]


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

    def retrying(
        self, retry_on: Callable[[BaseException], bool], *, sleep: Sleep | None = None
    ) -> tenacity.AsyncRetrying:
        """A tenacity controller retrying while ``retry_on(error)`` holds; once the policy
        gives up, the last error is raised as itself.

        ``await policy.retrying(is_transient)(function, *args)`` calls ``function`` until it
        returns, fails with an error ``retry_on`` refuses, or the policy runs out.
        """
        return self._controller(retry_on, sleep, tries_done=0, elapsed=0.0)

    async def call(
        self,
        retry_on: Callable[[BaseException], bool],
        function: Callable[..., Awaitable[T]],
        *args: Any,
        sleep: Sleep | None = None,
    ) -> T:
        """``await self.retrying(retry_on, sleep=sleep)(function, *args)``, with the same
        tries and waits, but the first try runs bare: tenacity's bookkeeping (about 20 µs a
        call) is paid only once a try has failed in a way worth retrying."""
        started = time.monotonic()
        try:
            return await function(*args)
        except Exception as error:
            if not retry_on(error) or self.attempts == 1:
                raise
            ceiling = self.ceiling(0)
            wait = ceiling / 2 + random.uniform(0, ceiling / 2)
            if self.deadline is not None and time.monotonic() - started + wait >= self.deadline:
                raise
        await (sleep or asyncio.sleep)(wait)
        controller = self._controller(
            retry_on, sleep, tries_done=1, elapsed=time.monotonic() - started
        )
        result: T = await controller(function, *args)
        return result

    def _controller(
        self,
        retry_on: Callable[[BaseException], bool],
        sleep: Sleep | None,
        *,
        tries_done: int,
        elapsed: float,
    ) -> tenacity.AsyncRetrying:
        """The controller for what is left after ``tries_done`` tries and ``elapsed``
        seconds: its first try runs at once, its waits continue the policy's sequence."""
        stops: list[tenacity.stop.stop_base] = []
        if self.attempts is not None:
            stops.append(tenacity.stop_after_attempt(self.attempts - tries_done))
        if self.deadline is not None:
            stops.append(tenacity.stop_before_delay(self.deadline - elapsed))
        half_base, half_cap = self.base_delay * 2**tries_done / 2, self.max_delay / 2
        wait = tenacity.wait_exponential(
            multiplier=half_base, max=half_cap
        ) + tenacity.wait_random_exponential(multiplier=half_base, max=half_cap)
        return tenacity.AsyncRetrying(
            stop=tenacity.stop_any(*stops),
            wait=wait,
            retry=tenacity.retry_if_exception(retry_on),
            reraise=True,
            sleep=sleep or asyncio.sleep,
        )
