"""The sync bridge: the async services for code that is not async (scripts, WSGI apps).

    with open_sync_services(settings) as services:
        agent = services.agents.create(context, {...})

Each call runs on one event loop in a background thread (an anyio blocking portal), so a
synchronous caller gets the same services, stores and semantics as an async one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from anyio.from_thread import BlockingPortal, start_blocking_portal

from aace.application.container import Services, open_services
from aace.application.settings import Settings

__all__ = ["SyncProxy", "SyncServices", "open_sync_services"]


class SyncProxy:
    """Calls the coroutine methods of ``target`` through the portal, blocking."""

    def __init__(self, portal: BlockingPortal, target: object) -> None:
        self._portal = portal
        self._target = target

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._portal.call(functools.partial(method, *args, **kwargs))

        return call


class SyncServices:
    """Blocking counterparts of :class:`Services`."""

    def __init__(self, portal: BlockingPortal, services: Services) -> None:
        self.store = SyncProxy(portal, services.store)
        self.agents = SyncProxy(portal, services.agents)
        self.coordinations = SyncProxy(portal, services.coordinations)


@contextmanager
def open_sync_services(settings: Settings | None = None) -> Iterator[SyncServices]:
    """Open the services on a background event loop; close them on exit."""
    with start_blocking_portal() as portal:
        services = portal.call(open_services, settings)
        try:
            yield SyncServices(portal, services)
        finally:
            portal.call(services.close)
