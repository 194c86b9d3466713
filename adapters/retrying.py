"""Runs a :class:`~aace.domain.retry.RetryPolicy`: the one retry loop of the package.

Adapters retry what the backend reports as transient (a busy SQLite file, a deadlock, a
throttled DynamoDB request); services retry optimistic writes that lost a race. The policy
is a domain value; the loop that runs it (on tenacity, waiting on the event loop) lives
here, outside the domain, where adapters and services alike may import it. Tests inject the
wait (``sleep``) and the clock the deadline is measured on (``clock``).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tenacity

from aace.domain.retry import RetryPolicy

__all__ = ["Clock", "Sleep", "call", "retrying"]

T = TypeVar("T")

#: How a retry loop waits (tests substitute a recorder).
Sleep = Callable[[float], Awaitable[None]]
#: The seconds a deadline is measured in (tests substitute a clock moved by their sleep).
Clock = Callable[[], float]


def retrying(
    policy: RetryPolicy,
    retry_on: Callable[[BaseException], bool],
    *,
    sleep: Sleep | None = None,
    clock: Clock = time.monotonic,
) -> Callable[..., Awaitable[Any]]:
    """A runner retrying while ``retry_on(error)`` holds, every try through tenacity; once
    the policy gives up, the last error is raised as itself.

    ``await retrying(policy, is_transient)(function, *args)`` calls ``function`` until it
    returns, fails with an error ``retry_on`` refuses, or the policy runs out.
    """

    async def run(function: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        controller = _controller(policy, retry_on, sleep, clock, tries_done=0, started=clock())
        return await controller(function, *args)

    return run


async def call(
    policy: RetryPolicy,
    retry_on: Callable[[BaseException], bool],
    function: Callable[..., Awaitable[T]],
    *args: Any,
    sleep: Sleep | None = None,
    clock: Clock = time.monotonic,
) -> T:
    """``await retrying(policy, retry_on, sleep=sleep)(function, *args)``, with the same
    tries and waits, but the first try runs bare: tenacity's bookkeeping (about 20 µs a
    call) is paid only once a try has failed in a way worth retrying."""
    started = clock()
    try:
        return await function(*args)
    except Exception as error:
        if not retry_on(error) or policy.attempts == 1:
            raise
        ceiling = policy.ceiling(0)
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if policy.deadline is not None and clock() - started + wait >= policy.deadline:
            raise
    await (sleep or asyncio.sleep)(wait)
    controller = _controller(policy, retry_on, sleep, clock, tries_done=1, started=started)
    result: T = await controller(function, *args)
    return result


class _StopBeforeDeadline(tenacity.stop.stop_base):
    """Stop when the coming wait would end ``deadline`` seconds or more after ``started``
    (on ``clock``): tenacity's ``stop_before_delay``, on a clock that tests may inject."""

    def __init__(self, clock: Clock, started: float, deadline: float) -> None:
        self.clock, self.started, self.deadline = clock, started, deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.clock() - self.started + retry_state.upcoming_sleep >= self.deadline


def _controller(
    policy: RetryPolicy,
    retry_on: Callable[[BaseException], bool],
    sleep: Sleep | None,
    clock: Clock,
    *,
    tries_done: int,
    started: float,
) -> tenacity.AsyncRetrying:
    """The controller for what is left after ``tries_done`` tries begun at ``started``:
    its first try runs at once, its waits continue the policy's sequence."""
    stops: list[tenacity.stop.stop_base] = []
    if policy.attempts is not None:
        stops.append(tenacity.stop_after_attempt(policy.attempts - tries_done))
    if policy.deadline is not None:
        stops.append(_StopBeforeDeadline(clock, started, policy.deadline))
    half_base, half_cap = policy.base_delay * 2**tries_done / 2, policy.max_delay / 2
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
