"""Runs a :class:`~aace.domain.retry.RetryPolicy`: the one retry loop of the package.

Adapters retry what the backend reports as transient (a busy SQLite file, a deadlock, a
throttled DynamoDB request); services retry optimistic writes that lost a race. The policy
is a domain value; the loop that runs it (on tenacity, waiting on the event loop) lives
here, outside the domain, where adapters and services alike may import it. Tests inject the
wait (``sleep``) and the clock the deadline is measured on (``clock``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import tenacity

from aace.adapters.observing import RETRIES, error_type, report
from aace.domain.retry import RetryPolicy

__all__ = ["Clock", "Sleep", "call", "retrying"]

T = TypeVar("T")

#: How a retry loop waits (tests substitute a recorder).
Sleep = Callable[[float], Awaitable[None]]
#: The seconds a deadline is measured in (tests substitute a clock moved by their sleep).
Clock = Callable[[], float]

log = logging.getLogger(__name__)


def _retrying_after(error: BaseException | None, tries: int) -> None:
    """Log (INFO) and count one more try after ``error``, the ``tries``-th try's failure."""
    kind = error_type(error)
    report(
        log,
        logging.INFO,
        f"try {tries} failed with {kind}: retrying",
        RETRIES,
        {"error.type": kind},
    )


def _gave_up(error: BaseException | None, tries: int) -> None:
    """Log (WARNING) that a retried call gave up: ``tries`` tries all failed."""
    kind = error_type(error)
    if log.isEnabledFor(logging.WARNING):
        log.warning(
            f"gave up after {tries} tries failing with {kind}",
            extra={"aace_event": "aace.retries.exhausted", "error.type": kind, "tries": tries},
        )


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
        if not retry_on(error):
            raise
        ceiling = policy.ceiling(0)
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if policy.attempts == 1 or (
            policy.deadline is not None and clock() - started + wait >= policy.deadline
        ):
            _gave_up(error, 1)
            raise
        _retrying_after(error, 1)
    await (sleep or asyncio.sleep)(wait)
    controller = _controller(policy, retry_on, sleep, clock, tries_done=1, started=started)
    result: T = await controller(function, *args)
    return result


class _ReportedStop(tenacity.stop.stop_base):
    """``inner``, logging when it stops (tenacity asks only when a retry is wanted, so a
    stop is a retried call giving up) and counting each retry it allows."""

    def __init__(self, inner: tenacity.stop.stop_base, tries_done: int) -> None:
        self.inner, self.tries_done = inner, tries_done

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        stop = self.inner(retry_state)
        outcome = retry_state.outcome
        error = None if outcome is None else outcome.exception()
        tries = self.tries_done + retry_state.attempt_number
        (_gave_up if stop else _retrying_after)(error, tries)
        return stop


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
        stop=_ReportedStop(tenacity.stop_any(*stops), tries_done),
        wait=wait,
        retry=tenacity.retry_if_exception(retry_on),
        reraise=True,
        sleep=sleep or asyncio.sleep,
    )
