"""Scheduling hints between callers and adapters (light: no driver is imported here).

The blocking twin says when its call is the only one under way on its event loop; an
adapter whose driver is synchronous (DynamoDB's runner) reads that to run the driver on the
loop's own thread instead of a worker thread. Fanning out concurrent requests says the
opposite for the requests started inside.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["CALLER_THREAD", "SOLE_BLOCKING_CALLER", "fanning_out"]

#: True while the current call comes from a blocking caller that is the only call under way
#: on its event loop (the blocking twin sets it): an adapter whose driver is synchronous may
#: then run the driver on the loop's own thread instead of handing each request to a worker
#: thread, since nothing else waits on that loop. Asynchronous callers never set it.
SOLE_BLOCKING_CALLER: ContextVar[bool] = ContextVar("aace_sole_blocking_caller", default=False)

#: True while the call runs on its blocking caller's own thread, on a loop of that thread's
#: own (the blocking twin sets it for a store that says it can, SQLite's): the adapter may
#: then block that thread (wait for a lock, sync a file) instead of handing work to a worker.
CALLER_THREAD: ContextVar[bool] = ContextVar("aace_caller_thread", default=False)


@contextmanager
def fanning_out() -> Iterator[None]:
    """Requests started inside run concurrently: none of them runs inline (the tasks
    started here copy this context)."""
    token = SOLE_BLOCKING_CALLER.set(False)
    try:
        yield
    finally:
        SOLE_BLOCKING_CALLER.reset(token)
