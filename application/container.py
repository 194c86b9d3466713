"""Composition root: injector wiring, an async bootstrap and one shutdown path.

Injector has no async support, so the store is created and prepared here, before the
injector exists, and bound as an instance; providers do no I/O.
"""

from __future__ import annotations

from typing import Any

from injector import Binder, Injector, InstanceProvider, Module, provider, singleton

from aace.application.services import AgentService, CoordinationService
from aace.application.settings import Settings
from aace.application.storage import adapter_for, build_store, store_config
from aace.domain.ports import Store

__all__ = ["SERVICES", "CoreModule", "open_store", "wire_services"]

#: Every service the facade exposes, by attribute name (the entity's plural).
SERVICES: dict[str, type[Any]] = {
    "agents": AgentService,
    "coordinations": CoordinationService,
}


class CoreModule(Module):
    """Binds the settings and the (already prepared) store; provides the services."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def configure(self, binder: Binder) -> None:
        binder.bind(Settings, to=self._settings)
        binder.bind(Store, to=InstanceProvider(self._store))  # type: ignore[type-abstract]

    @singleton
    @provider
    def agents(self, store: Store, settings: Settings) -> AgentService:
        return AgentService(
            store,
            settings.max_agents_per_tenant,
            contention_deadline=settings.contention_deadline,
        )

    @singleton
    @provider
    def coordinations(self, store: Store) -> CoordinationService:
        return CoordinationService(store)


async def open_store(settings: Settings) -> Store:
    """Build the store the settings name and prepare it as ``settings.initialize`` says
    (``None``: the adapter's default). On failure the store is closed again."""
    mode = settings.initialize or adapter_for(settings.storage_url).initialize
    store = build_store(store_config(settings))
    try:
        if mode == "create":
            await store.initialize()
        elif mode == "verify":
            await store.verify()
    except BaseException:
        await store.close()
        raise
    return store


def wire_services(settings: Settings, store: Store) -> dict[str, Any]:
    """The services over ``store``, by attribute name."""
    container = Injector([CoreModule(settings, store)])
    return {name: container.get(service) for name, service in SERVICES.items()}
