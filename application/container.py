"""Composition root: injector wiring, an async bootstrap and one shutdown path.

Injector has no async support, so the store is created and prepared here, before the
injector exists, and bound as an instance; providers do no I/O.
"""

from __future__ import annotations

import typing
from typing import Any

from injector import Binder, CallableProvider, Injector, InstanceProvider, Module, singleton

from aace.adapters.cache import CachedStore, open_cache
from aace.application.services import (
    AgentService,
    AsyncTaskService,
    CoordinationService,
    ElementService,
    FineTuningMessageService,
    FlowSnippetService,
    LlmService,
    McpServerService,
    MessageService,
    PromptTemplateService,
    RunService,
    SessionAgentService,
    SessionRunService,
    SessionService,
    TaskScheduleService,
    TaskService,
    ThreadService,
    ToolCallService,
    UiComponentService,
    UsageLimitService,
    UsageService,
    UsageSummaryService,
    WizardGroupFilterService,
    WizardGroupService,
    WizardSchemaService,
    WizardService,
)
from aace.application.settings import Settings
from aace.application.storage import adapter_for, build_store, store_config
from aace.domain.ports import Store

__all__ = ["SERVICES", "CoreModule", "open_store", "wire_services"]

#: Every service the facade exposes, by attribute name (the entity's plural).
SERVICES: dict[str, type[Any]] = {
    "llms": LlmService,
    "agents": AgentService,
    "threads": ThreadService,
    "runs": RunService,
    "messages": MessageService,
    "tool_calls": ToolCallService,
    "async_tasks": AsyncTaskService,
    "fine_tuning_messages": FineTuningMessageService,
    "prompt_templates": PromptTemplateService,
    "flow_snippets": FlowSnippetService,
    "mcp_servers": McpServerService,
    "elements": ElementService,
    "ui_components": UiComponentService,
    "wizards": WizardService,
    "wizard_schemas": WizardSchemaService,
    "wizard_groups": WizardGroupService,
    "wizard_group_filters": WizardGroupFilterService,
    "coordinations": CoordinationService,
    "tasks": TaskService,
    "sessions": SessionService,
    "session_agents": SessionAgentService,
    "session_runs": SessionRunService,
    "task_schedules": TaskScheduleService,
    "usage": UsageService,
    "usage_limits": UsageLimitService,
    "usage_summaries": UsageSummaryService,
}


def _build(service: type[Any], container: Injector) -> Any:
    """``service`` with each constructor parameter from the container, by its annotation:
    the store, the settings, or a service it calls (the agents a flow snippet re-points)."""
    hints = typing.get_type_hints(service.__init__)
    return service(
        **{name: container.get(hint) for name, hint in hints.items() if name != "return"}
    )


def _builder(service: type[Any], container: Injector) -> Any:
    def build():  # type: ignore[no-untyped-def]  # injector reads a callable's annotations
        return _build(service, container)

    return build


class CoreModule(Module):
    """Binds the settings and the (already prepared) store, and every service as a
    singleton built over them."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store

    def configure(self, binder: Binder) -> None:
        binder.bind(Settings, to=self._settings)
        binder.bind(Store, to=InstanceProvider(self._store))  # type: ignore[type-abstract]
        for service in SERVICES.values():
            binder.bind(
                service, to=CallableProvider(_builder(service, binder.injector)), scope=singleton
            )


async def open_store(settings: Settings) -> Store:
    """Build the store the settings name and prepare it as ``settings.initialize`` says
    (``None``: the adapter's default). On failure the store is closed again."""
    mode = settings.initialize or adapter_for(settings.storage_url).initialize
    store = build_store(store_config(settings))
    if settings.cache_url is not None:
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
    """The services over ``store``, by attribute name."""
    container = Injector([CoreModule(settings, store)])
    return {name: container.get(service) for name, service in SERVICES.items()}
