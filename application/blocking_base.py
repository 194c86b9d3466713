"""What every blocking service shares: the calls under way on one portal, and the base class.

Calls run on one event loop in a background thread (an anyio blocking portal), so blocking
callers share the async services, their store and its connection pools; many threads may
share one twin. A call that is the only one under way on that loop says so
(:data:`~aace.adapters.scheduling.SOLE_BLOCKING_CALLER`): an adapter whose driver is
synchronous (DynamoDB) then runs it on the loop's thread, saving the hop to a worker thread.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from anyio.from_thread import BlockingPortal

from aace.adapters.scheduling import SOLE_BLOCKING_CALLER

__all__ = ["DEFAULT", "Blocking", "Traffic"]

T = TypeVar("T")


class _Default:
    """The default of a parameter whose async default is not a literal (a timedelta)."""

    def __repr__(self) -> str:
        return "DEFAULT"


#: Stands for "the async method's own default": a blocking call leaves such an argument out.
DEFAULT: Any = _Default()


class Traffic:
    """The blocking calls under way on one portal, counted from every calling thread."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._lock = threading.Lock()
        self._under_way = 0

    def call(self, function: Callable[[], Awaitable[T]]) -> T:
        """Run ``function`` on the portal's loop and wait for its result."""
        with self._lock:
            self._under_way += 1
        try:
            return self._portal.call(self._marked, function)
        finally:
            with self._lock:
                self._under_way -= 1

    async def _marked(self, function: Callable[[], Awaitable[T]]) -> T:
        token = SOLE_BLOCKING_CALLER.set(self._under_way == 1)
        try:
            return await function()
        finally:
            SOLE_BLOCKING_CALLER.reset(token)


class Blocking:
    """A service's blocking counterpart: each generated method runs the async method of
    the same name on the portal's loop (``aace.application.blocking_services``)."""

    def __init__(self, traffic: Traffic, target: Any) -> None:
        self._traffic = traffic
        self._target = target

    def _run(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``name`` of the async service with these arguments, and wait for it."""
        given = {key: value for key, value in kwargs.items() if value is not DEFAULT}
        return self._traffic.call(functools.partial(getattr(self._target, name), *args, **given))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._target!r})"
