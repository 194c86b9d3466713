"""Composition root: injector wiring, an async bootstrap and one shutdown path.

Injector has no async support, so the store is created and initialised here, before the
injector exists, and bound as an instance; providers do no I/O.
"""

from __future__ import annotations

from types import TracebackType

import attrs
from injector import Binder, Injector, InstanceProvider, Module, provider, singleton

from aace.application.services import AgentService, CoordinationService
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store

__all__ = ["CoreModule", "Services", "open_services"]


class CoreModule(Module):
    """Binds the settings and the (already initialised) store; provides the services."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def configure(self, binder: Binder) -> None:
        binder.bind(Settings, to=self._settings)
        binder.bind(Store, to=InstanceProvider(self._store))  # type: ignore[type-abstract]

    @singleton
    @provider
    def agents(self, store: Store, settings: Settings) -> AgentService:
        return AgentService(store, settings.max_agents_per_tenant)

    @singleton
    @provider
    def coordinations(self, store: Store) -> CoordinationService:
        return CoordinationService(store)


@attrs.define
class Services:
    """The services of one configured store; ``await services.close()`` releases it."""

    store: Store
    agents: AgentService
    coordinations: CoordinationService

    async def close(self) -> None:
        await self.store.close()

    async def __aenter__(self) -> Services:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


async def open_services(settings: Settings | None = None) -> Services:
    """Build the store the settings name, prepare it, and wire the services.

    ``async with await open_services() as services: ...`` closes the store afterwards.
    """
    settings = settings or Settings.from_env()
    store = build_store(settings.store_config())
    try:
        await store.initialize()
        container = Injector([CoreModule(settings, store)])
        return Services(
            store=store,
            agents=container.get(AgentService),
            coordinations=container.get(CoordinationService),
        )
    except BaseException:
        await store.close()
        raise
