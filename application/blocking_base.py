"""What every blocking service shares: where its calls run, and the base class.

A store that can run a call on its caller's thread (SQLite's: its driver is synchronous and
its pool is not bound to a loop) gets no hop at all: each calling thread runs the async
service on an event loop of its own, and the store runs its statements right there
(:data:`~aace.adapters.scheduling.CALLER_THREAD`). Reads run concurrently on their threads;
writes take turns (one lock per twin: SQLite has one writer at a time anyway, and the
services' per-record writer queues then never see two loops at once).

Other stores (PostgreSQL's asyncpg pool and a Redis cache are bound to one loop) run every
call on one event loop in a background thread (an anyio blocking portal), so blocking
callers share the async services, their store and its connection pools; many threads may
share one twin. A call that is the only one under way on that loop says so
(:data:`~aace.adapters.scheduling.SOLE_BLOCKING_CALLER`): an adapter whose driver is
synchronous (DynamoDB) then runs it on the loop's thread, saving the hop to a worker thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any, TypeVar, cast

from anyio.from_thread import BlockingPortal

from aace.adapters.scheduling import CALLER_THREAD, SOLE_BLOCKING_CALLER

__all__ = ["DEFAULT", "READS", "Blocking", "Traffic"]

#: Service methods that only read: on the caller's thread they run side by side.
READS = frozenset(
    {
        "get",
        "find",
        "get_many",
        "list",
        "count",
        "active",
        "versions",
        "list_active",
        "count_active",
        "history",
        "summaries",
    }
)

T = TypeVar("T")


class _Default:
    """The default of a parameter whose async default is not a literal (a timedelta)."""

    def __repr__(self) -> str:
        return "DEFAULT"


#: Stands for "the async method's own default": a blocking call leaves such an argument out.
DEFAULT: Any = _Default()


class _CallerLoop:
    """One thread's own event loop, closed when the thread (and so this holder) goes."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


class Traffic:
    """Where blocking calls run: on their caller's thread (``on_caller_thread``), or on one
    portal, counted from every calling thread."""

    def __init__(self, portal: BlockingPortal, *, on_caller_thread: bool = False) -> None:
        self._portal = portal
        self._lock = threading.Lock()
        self._under_way = 0
        self.on_caller_thread = on_caller_thread
        self._loops = threading.local()
        self._writes = threading.Lock()

    def call(self, function: Callable[[], Awaitable[T]], *, reads: bool = False) -> T:
        """Run ``function`` and wait for its result: on this thread's own loop where the
        store allows it (``reads``: it only reads, so it need not wait for writers), else
        on the portal's loop (also when this thread runs a loop already: a blocking call
        from async code)."""
        if self.on_caller_thread and asyncio._get_running_loop() is None:
            if reads:
                return self._here(function, step_first=True)
            with self._writes:
                return self._here(function)
        with self._lock:
            self._under_way += 1
        try:
            return self._portal.call(self._marked, function)
        finally:
            with self._lock:
                self._under_way -= 1

    def _here(self, function: Callable[[], Awaitable[T]], *, step_first: bool = False) -> T:
        """``function`` on this thread's own loop. ``step_first`` (a read): its coroutine
        is first stepped bare, the loop marked running, and most reads finish in that one
        step without the loop's scheduling; one that suspends goes on as a task."""
        held: _CallerLoop | None = getattr(self._loops, "held", None)
        if held is None:
            held = self._loops.held = _CallerLoop()
        loop = held.loop
        if not step_first:
            return loop.run_until_complete(self._on_caller(function))
        token = CALLER_THREAD.set(True)
        asyncio.events._set_running_loop(loop)
        coroutine = cast(Coroutine[Any, Any, T], function())
        try:
            pending = coroutine.send(None)
        except StopIteration as done:
            result: T = done.value
            return result
        finally:
            asyncio.events._set_running_loop(None)
            CALLER_THREAD.reset(token)
        return loop.run_until_complete(_resumed(coroutine, pending))

    @staticmethod
    async def _on_caller(function: Callable[[], Awaitable[T]]) -> T:
        CALLER_THREAD.set(True)  # in this call's own task context
        return await function()

    async def _marked(self, function: Callable[[], Awaitable[T]]) -> T:
        token = SOLE_BLOCKING_CALLER.set(self._under_way == 1)
        try:
            return await function()
        finally:
            SOLE_BLOCKING_CALLER.reset(token)


async def _resumed(coroutine: Coroutine[Any, Any, T], pending: Any) -> T:
    """The rest of a coroutine stepped once already, as a task: what it waits on first is
    ``pending`` (what its first step yielded)."""
    result: T = await _Rest(coroutine, pending)
    return result


class _Rest:
    """Awaits what a started coroutine waits on, and resumes it, as its own task would."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any], pending: Any) -> None:
        self._coroutine, self._pending = coroutine, pending

    def __await__(self) -> Generator[Any, None, Any]:
        coroutine, pending = self._coroutine, self._pending
        while True:
            try:
                yield pending
            except BaseException as error:  # cancelled, or what it waited on failed
                try:
                    pending = coroutine.throw(error)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    pending = coroutine.send(None)
                except StopIteration as done:
                    return done.value


class Blocking:
    """A service's blocking counterpart: each generated method runs the async method of
    the same name on the portal's loop (``aace.application.blocking_services``)."""

    def __init__(self, traffic: Traffic, target: Any) -> None:
        self._traffic = traffic
        self._target = target

    def _run(self, name: str, /, *args: Any, **kwargs: Any) -> Any:
        """Call ``name`` of the async service with these arguments, and wait for it."""
        given = {key: value for key, value in kwargs.items() if value is not DEFAULT}
        call = functools.partial(getattr(self._target, name), *args, **given)
        return self._traffic.call(call, reads=name in READS)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._target!r})"
