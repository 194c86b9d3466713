"""Helpers of the race tests: one or two ``Aace`` on one store (the cache off or on), hooks
that drive an interleaving, and the orphan check of a conversation subtree."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from aace.adapters.cache import CachedStore, MemoryCache
from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, MESSAGES, RUNS, THREADS, TOOL_CALLS
from aace.domain.ports import Repository, Store, UnitOfWork, read_all
from aace.domain.query import Query, RangeCondition
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = [
    "AGENT",
    "Aaces",
    "Hold",
    "Overtaking",
    "Pause",
    "SmallUnits",
    "aaces_on",
    "left_under",
]

E = TypeVar("E")

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


Aaces = Callable[..., list[SimpleNamespace]]


def aaces_on(store: Store, cached: bool) -> Aaces:
    """``make(n, unit_size=None, **settings)``: ``n`` sets of services over ``store``, as
    ``n`` ``Aace`` opened on it (each with its own writer queues; with ``cached``, each with
    its own cached store in front of one shared cache, as processes sharing a Redis);
    ``unit_size`` bounds their units of work (:class:`SmallUnits`, as ``app.units``);
    ``settings`` are those of :class:`Settings` (``contention_deadline``)."""
    cache = MemoryCache() if cached else None
    namespace = f"aace-race-{uuid.uuid4().hex[:10]}"

    def make(count: int, unit_size: int | None = None, **settings: Any) -> list[SimpleNamespace]:
        apps = []
        for _ in range(count):
            units = None if unit_size is None else SmallUnits(store, unit_size)
            backing: Any = store if units is None else units
            if cache is not None:
                backing = CachedStore(backing, cache, ttl=60, namespace=namespace)
            services = wire_services(Settings(**settings), backing)
            apps.append(SimpleNamespace(**services, units=units))
        return apps

    return make


class SmallUnits:
    """``store`` as a backend whose units of work hold at most ``size`` actions, so that a
    cascade of a few records already spreads over several units; ``commits`` pauses after
    a unit's commit when armed (:class:`Pause`)."""

    def __init__(self, store: Store, size: int) -> None:
        self._store = store
        self._size = size
        self.adapter = store.adapter
        self.commits = Pause()

    def repository(self, schema: EntitySchema[E]) -> Repository[E]:
        return self._store.repository(schema)

    def unit_of_work(self) -> UnitOfWork:
        unit = self._store.unit_of_work()
        unit.max_actions = self._size
        self.commits.wrap(unit, "commit")
        return unit

    async def initialize(self) -> None:
        await self._store.initialize()

    async def verify(self) -> None:
        await self._store.verify()

    async def close(self) -> None:
        """The store is the session's: it stays open."""


class Overtaking:
    """Makes the first re-pointing of a round wait until the second one has finished:
    ``before_read`` at its start, ``before_commit`` at its first unit of work (it has read
    its agents but not written them), ``between_pages`` at its second unit (it has moved a
    page of agents, not the rest); ``free`` lets them run as they come. ``started`` is set
    once the first re-pointing has begun (its version change has committed)."""

    def __init__(self, apps: list[SimpleNamespace]) -> None:
        self.mode = "free"
        self.calls = 0
        self.held: dict[str, int] = {}
        self._second_done = asyncio.Event()
        self.started = asyncio.Event()
        self._which: contextvars.ContextVar[int] = contextvars.ContextVar("which", default=0)
        self._first_batches = 0
        for app in apps:
            self._wrap(app.agents)

    def arm(self, mode: str) -> None:
        self.mode, self.calls, self._second_done = mode, 0, asyncio.Event()
        self.started, self._first_batches = asyncio.Event(), 0

    def _wrap(self, agents: Any) -> None:
        repoint, batch = agents.repoint, agents._repoint_batch

        async def first_waits(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            number = self.calls
            token = self._which.set(number)
            self.started.set()
            try:
                if number == 1 and self.mode == "before_read":
                    await self._hold()
                return await repoint(*args, **kwargs)
            finally:
                self._which.reset(token)
                if number == 2:
                    self._second_done.set()

        async def first_batch_waits(*args: Any, **kwargs: Any) -> Any:
            if self._which.get() == 1:
                self._first_batches += 1
                held_at = {"before_commit": 1, "between_pages": 2}.get(self.mode)
                if self._first_batches == held_at:
                    await self._hold()
            return await batch(*args, **kwargs)

        agents.repoint = first_waits
        agents._repoint_batch = first_batch_waits

    async def _hold(self) -> None:
        if not self._second_done.is_set():
            self.held[self.mode] = self.held.get(self.mode, 0) + 1
            await self._second_done.wait()


class Hold:
    """Holds the calls of an async method of an object before they start, while armed and
    past the first ``skip`` calls: the first held call sets ``reached``; held calls start
    once ``release`` is set."""

    def __init__(self, owner: Any, name: str) -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.armed = False
        self._skip = 0
        real: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def held(*args: Any, **kwargs: Any) -> Any:
            if self.armed:
                self._skip -= 1
                if self._skip < 0:
                    self.reached.set()
                    await self.release.wait()
            return await real(*args, **kwargs)

        setattr(owner, name, held)

    def arm(self, skip: int = 0) -> None:
        self.reached, self.release, self.armed = asyncio.Event(), asyncio.Event(), True
        self._skip = skip

    def open(self) -> None:
        """Let the held calls go, and the next ones run as they come."""
        self.armed = False
        self.release.set()


class Pause:
    """Holds an async method of an object (or of every object it wraps) after its first
    call of a round returns, until released: ``reached`` is set then, and the call returns
    once ``release`` is set."""

    def __init__(self, owner: Any = None, name: str = "") -> None:
        self.reached = asyncio.Event()
        self.release = asyncio.Event()
        self.armed = False
        self.hits = 0
        if owner is not None:
            self.wrap(owner, name)

    def wrap(self, owner: Any, name: str) -> None:
        real: Callable[..., Awaitable[Any]] = getattr(owner, name)

        async def paused(*args: Any, **kwargs: Any) -> Any:
            result = await real(*args, **kwargs)
            if self.armed:
                self.armed = False
                self.hits += 1
                self.reached.set()
                await self.release.wait()
            return result

        setattr(owner, name, paused)

    def arm(self) -> None:
        self.reached, self.release, self.armed = asyncio.Event(), asyncio.Event(), True


async def left_under(
    store: Store, tenant: PartitionKey, agent_uuid: str, thread_uuids: list[str]
) -> dict[str, int]:
    """What is stored (uncached) under an agent: its versions, its threads, and the runs,
    messages and tool calls under the given threads."""
    by_agent = Query(index="agent_uuid-index", range=RangeCondition.eq(agent_uuid))
    found = {
        "agents": len(await read_all(store.repository(AGENTS), tenant, by_agent)),
        "threads": len(await read_all(store.repository(THREADS), tenant, by_agent)),
    }
    for schema in (RUNS, MESSAGES, TOOL_CALLS):
        found[schema.name] = 0
        for thread_uuid in thread_uuids:
            records = await read_all(store.repository(schema), tenant, Query(parent=thread_uuid))
            found[schema.name] += len(records)
    return found
