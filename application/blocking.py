"""The blocking twin of :class:`~aace.application.facade.Aace`, derived, never copied.

Every public coroutine method of every service has a blocking counterpart with the same
name, parameters, docstring and (awaited) return type, generated from the service classes
into ``aace.application.blocking_services`` (see ``aace.application.blocking_codegen``).
Calls run on the caller's thread where the store allows it (SQLite), else on one event loop
in a background thread (:mod:`aace.application.blocking_base`).
"""

from __future__ import annotations

from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING

from anyio.from_thread import start_blocking_portal

from aace.application.blocking_base import Blocking, Traffic
from aace.application.blocking_services import BLOCKING_CLASSES, BlockingServices
from aace.application.facade import Aace
from aace.application.settings import Settings

if TYPE_CHECKING:
    from aace.domain.ports import Health

__all__ = ["Blocking", "BlockingAace"]


class BlockingAace(BlockingServices):
    """The services of :class:`Aace`, blocking. Build it with :meth:`Aace.open_sync`."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._exit = ExitStack()
        portal = self._exit.enter_context(start_blocking_portal())
        try:
            self._app: Aace = portal.call(_open, settings)
        except BaseException:
            self._exit.close()
            raise
        self._exit.callback(portal.call, self._app.close)
        inline = bool(getattr(self._app.store, "runs_on_caller_thread", False))
        traffic = self._traffic = Traffic(portal, on_caller_thread=inline)
        for name, blocking_class in BLOCKING_CLASSES.items():
            setattr(self, name, blocking_class(traffic, getattr(self._app, name)))
        self.settings = self._app.settings

    def ping(self) -> Health:
        """:meth:`Aace.ping`, blocking: the store's (and cache's) health, never raised."""
        return self._traffic.call(self._app.ping)  # in a task of its own: it sets timeouts

    def close(self) -> None:
        """Close the store and stop the background loop; calling it again does nothing."""
        self._exit.close()

    def __enter__(self) -> BlockingAace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"BlockingAace({self._app.store.adapter})"


async def _open(settings: Settings | None) -> Aace:
    return await Aace.open(settings)
