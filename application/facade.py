"""The facade: one object per configured store, one attribute per service.

``async with Aace.open(settings) as app:`` opens the store, prepares it as the settings say,
wires the services and closes everything on exit; ``with Aace.open_sync(settings) as app:``
is the same for blocking code (:mod:`aace.application.blocking`).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from aace.application.roster import Services
from aace.application.settings import Settings

if TYPE_CHECKING:
    from aace.application.blocking import BlockingAace
    from aace.application.loader import Loader
    from aace.domain.ports import Health, Store
    from aace.domain.tenancy import TenantContext

__all__ = ["Aace"]


class Aace(Services):
    """The package's services over one store.

    Open it once per process (at start-up, or per event loop) and share it: the services
    are stateless and safe for concurrent use. Attributes are the services, named by the
    entity's plural (docs/services.md; the roster, :class:`~aace.application.roster.Services`,
    types them); ``store`` gives the repositories behind them.
    """

    def __init__(self, settings: Settings, store: Store, services: Mapping[str, Any]) -> None:
        self.settings = settings
        self.store = store
        for name, service in services.items():
            setattr(self, name, service)
        self._closed = False

    @classmethod
    def open(cls, settings: Settings | None = None) -> Opening:
        """Open the store ``settings`` names (``None``: :meth:`Settings.load`).

        Use it as ``async with Aace.open(settings) as app:``; where a context manager does
        not fit (a server's start-up and shutdown hooks), ``app = await Aace.open(settings)``
        and later ``await app.close()``.
        """
        return Opening(settings)

    @classmethod
    def open_sync(cls, settings: Settings | None = None) -> BlockingAace:
        """The blocking twin: the same services for code that is not async.

        ``with Aace.open_sync(settings) as app:``, or ``app = Aace.open_sync(settings)`` and
        later ``app.close()``.
        """
        from aace.application.blocking import BlockingAace

        return BlockingAace(settings)

    def loader(self, context: TenantContext) -> Loader:
        """The per-request loader behind ``include=``: ``await loader.load("agents", key)``
        and ``load_many`` gather the keys asked for in one tick into one batched read."""
        from aace.application.loader import Loader
        from aace.application.services.views import public_view

        return Loader(self.store, context.partition_key, public_view)

    async def ping(self) -> Health:
        """Whether the store is reachable and initialised, and the cache (where configured)
        reachable, each check timed and limited in time: what a health route reports. A
        backend that fails is reported (``ok`` false, its ``detail`` says why), never raised.
        """
        return await self.store.ping()

    async def close(self) -> None:
        """Release the store's connections; calling it again does nothing."""
        if not self._closed:
            self._closed = True
            await self.store.close()

    async def __aenter__(self) -> Aace:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"Aace({self.store.adapter})"


class Opening:
    """What :meth:`Aace.open` returns: awaitable, or an async context manager."""

    def __init__(self, settings: Settings | None) -> None:
        self._settings = settings
        self._app: Aace | None = None

    async def _open(self) -> Aace:
        from aace.application.container import open_store, wire_services

        settings = self._settings if self._settings is not None else Settings.load()
        store = await open_store(settings)
        try:
            return Aace(settings, store, wire_services(settings, store))
        except BaseException:
            await store.close()
            raise

    def __await__(self) -> Generator[Any, None, Aace]:
        return self._open().__await__()

    async def __aenter__(self) -> Aace:
        self._app = await self._open()
        return self._app

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._app is not None:
            await self._app.close()
