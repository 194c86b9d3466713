"""Optimistic writes that settle: read, write on the condition that nothing changed, and on
losing a race to a concurrent writer read again after a jittered backoff, until a deadline.

Writers of one record inside one process queue up on a lock (:class:`WriterQueues`) rather
than race, so only writers in other processes make a write retry.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import ClassVar, TypeVar

import anyio

from aace.adapters import retrying
from aace.adapters.observing import LOST_RACES, report
from aace.adapters.retrying import Clock, Sleep
from aace.application.settings import DEFAULT_CONTENTION_DEADLINE
from aace.domain.errors import ConditionFailed, NotFound
from aace.domain.ports import UnitOfWork
from aace.domain.retry import RetryPolicy

__all__ = [
    "WriterQueues",
    "commit_or_lose",
    "contention_policy",
    "settle",
]

T = TypeVar("T")
log = logging.getLogger("aace.contention")


class LostRace(ConditionFailed):
    """A conditional write found that a concurrent writer changed what it had read.

    Over HTTP a 409 (the state changed under the call), not its parent's 412: the caller
    gave no precondition."""

    status: ClassVar[int] = 409


def _lost(error: BaseException) -> bool:
    return isinstance(error, LostRace)


def contention_policy(deadline: float = DEFAULT_CONTENTION_DEADLINE) -> RetryPolicy:
    """Retries without a count limit, first waits of a few milliseconds growing to half a
    second, none started after ``deadline`` seconds."""
    return RetryPolicy(attempts=None, base_delay=0.005, max_delay=0.5, deadline=deadline)


async def commit_or_lose(uow: UnitOfWork) -> None:
    """Commit ``uow``, whose conditions re-check what was read: a failed condition (or a
    record deleted meanwhile) means another writer came first (``LostRace``)."""
    try:
        await uow.commit()
    except (ConditionFailed, NotFound) as exc:
        report(
            log,
            logging.INFO,
            "a concurrent writer came first: reading again",
            LOST_RACES,
            {"error.type": type(exc).__name__},
        )
        raise LostRace(str(exc)) from exc


async def settle(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    what: str,
    *,
    sleep: Sleep | None = None,
    clock: Clock = time.monotonic,
) -> T:
    """Run ``attempt`` until it does not lose a race (see :func:`commit_or_lose`), backing off
    between tries (waiting with ``sleep``, the deadline on ``clock``: tests inject both);
    past the policy's deadline it is ``ConditionFailed`` naming ``what``."""
    try:
        return await retrying.call(policy, _lost, attempt, sleep=sleep, clock=clock)
    except LostRace as exc:
        raise ConditionFailed(f"{what} kept changing under concurrent writers; try again") from exc


class WriterQueues:
    """One lock per record key, kept only while a writer holds or awaits it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[Hashable, anyio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def __call__(self, key: Hashable) -> anyio.Lock:
        """The lock of ``key``: ``async with queues(key): ...`` writes in turn."""
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = anyio.Lock()
        return lock
