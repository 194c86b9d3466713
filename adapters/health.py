"""Timed health checks for ``Store.ping``: one probe, a time limit, a result instead of an
exception (a health route must answer even when its backend does not)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

from aace.domain.ports import CheckResult

__all__ = ["PING_TIMEOUT", "Clock", "timed_check"]

#: How long one check may take before it counts as failed, in seconds.
PING_TIMEOUT = 5.0
#: Reads seconds from an arbitrary origin (``time.perf_counter``; tests inject their own).
Clock = Callable[[], float]
#: The longest failure detail a check reports.
_DETAIL_LIMIT = 300


def _describe(error: Exception) -> str:
    """What went wrong, in one line: the package's own message, or the error's type and text
    (drivers' messages name hosts and ports, never passwords)."""
    text = " ".join(str(error).split()) or type(error).__name__
    if not type(error).__module__.startswith("aace."):
        text = f"{type(error).__name__}: {text}"
    return text[:_DETAIL_LIMIT]


async def timed_check(
    probe: Callable[[], Awaitable[str]],
    *,
    within: float = PING_TIMEOUT,
    clock: Clock = time.perf_counter,
) -> CheckResult:
    """Run ``probe`` (which returns what it found, or raises) for at most ``within`` seconds
    and time it; a failure or a timeout is a result that is not ok, never an exception."""
    started = clock()
    detail = f"no answer within {within:g} s"
    ok = False
    with anyio.move_on_after(within):
        try:
            detail = await probe()
            ok = True
        except Exception as error:
            detail = _describe(error)
    return CheckResult(ok=ok, seconds=max(0.0, clock() - started), detail=detail)
