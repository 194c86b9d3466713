"""Composition root: one injector per opened store, an async bootstrap, one shutdown path.

Injector has no async support, so the store is created and prepared here, before the
injector exists, and bound as an instance; providers do no I/O. Each service is a
singleton of its store's injector, built by injector from its ``@inject`` constructor
(the store, the settings, or a service it calls): two stores share no service. Each
service gets its telemetry here, decided once per opening (``aace.application.telemetry``).
"""

from __future__ import annotations

from typing import Any

from injector import Binder, Injector, InstanceProvider, Module, singleton

from aace.application.roster import service_types
from aace.application.settings import Settings
from aace.application.storage import adapter_for, build_store, store_config
from aace.application.telemetry import attach, telemetry_for
from aace.domain.ports import Store

__all__ = ["CoreModule", "ServicesModule", "open_store", "wire_services"]


class CoreModule(Module):
    """Binds the settings and the (already prepared) store of one opening."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def configure(self, binder: Binder) -> None:
        binder.bind(Settings, to=InstanceProvider(self._settings))
        binder.bind(Store, to=InstanceProvider(self._store))  # type: ignore[type-abstract]


class ServicesModule(Module):
    """Binds every service of the roster as a singleton of the injector."""

    def configure(self, binder: Binder) -> None:
        for service in service_types().values():
            binder.bind(service, scope=singleton)


async def open_store(settings: Settings) -> Store:
    """Build the store the settings name and prepare it as ``settings.initialize`` says
    (``None``: the adapter's default). On failure the store is closed again."""
    mode = settings.initialize or adapter_for(settings.storage_url).initialize
    store = build_store(store_config(settings))
    if settings.cache_url is not None:
        from aace.adapters.cache import CachedStore, open_cache

        cache = open_cache(settings.cache_url)
        store = CachedStore(
            store, cache, ttl=settings.cache_ttl, namespace=settings.cache_namespace
        )
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
    """The services over ``store``, by attribute name: one injector of their own."""
    container = Injector([CoreModule(settings, store), ServicesModule()], auto_bind=False)
    services = {name: container.get(service) for name, service in service_types().items()}
    attach(services, telemetry_for(settings, store.adapter))
    return services
