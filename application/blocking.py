"""The blocking twin of :class:`~aace.application.facade.Aace`, derived, never copied.

Every public coroutine method of every service gets a blocking counterpart with the same
name, parameters and docstring, generated from the service class. Calls run on one event
loop in a background thread (an anyio blocking portal), so blocking callers share the
async services, their store and its connection pools; many threads may share one twin.

A call that is the only one under way on that loop says so (``SOLE_BLOCKING_CALLER``): an
adapter whose driver is synchronous (DynamoDB) then runs it on the loop's thread, saving the
hop to a worker thread. While several threads call at once, requests go through the worker
pool as for async callers, so they still overlap.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from aace.adapters.scheduling import SOLE_BLOCKING_CALLER
from aace.application.container import SERVICES
from aace.application.facade import Aace
from aace.application.services import (
    AgentService,
    AsyncTaskService,
    CoordinationService,
    EntityService,
    FlowSnippetService,
    LlmService,
    McpServerService,
    NaturalKeyService,
    PromptTemplateService,
    RunService,
    SessionAgentService,
    SessionRunService,
    SessionService,
    TaskService,
    ThreadService,
    ToolCallService,
    UsageLimitService,
    UsageService,
    UsageSummaryService,
    WizardGroupService,
    WizardSchemaService,
    WizardService,
)
from aace.application.settings import Settings
from aace.domain.entities import (
    Element,
    FineTuningMessage,
    Message,
    TaskSchedule,
    UiComponent,
    WizardGroupFilter,
)

__all__ = ["Blocking", "BlockingAace", "blocking"]

S = TypeVar("S")
T = TypeVar("T")


class Traffic:
    """The blocking calls under way on one portal, counted from every calling thread."""

    def __init__(self, portal: BlockingPortal) -> None:
        self._portal = portal
        self._lock = threading.Lock()
        self._under_way = 0

    def call(self, function: Callable[[], Awaitable[T]]) -> T:
        """Run ``function`` on the portal's loop and wait for its result."""
        with self._lock:
            self._under_way += 1
        try:
            return self._portal.call(self._marked, function)
        finally:
            with self._lock:
                self._under_way -= 1

    async def _marked(self, function: Callable[[], Awaitable[T]]) -> T:
        token = SOLE_BLOCKING_CALLER.set(self._under_way == 1)
        try:
            return await function()
        finally:
            SOLE_BLOCKING_CALLER.reset(token)


class Blocking(Generic[S]):
    """Blocking counterparts of the coroutine methods of a ``S`` (see :func:`blocking`)."""

    def __init__(self, traffic: Traffic, target: S) -> None:
        self._traffic = traffic
        self._target = target

    if TYPE_CHECKING:  # the generated subclass has the real methods

        def __getattr__(self, name: str) -> Callable[..., Any]: ...


def _blocking_method(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Blocking[Any], *args: Any, **kwargs: Any) -> Any:
        bound = getattr(self._target, name)
        return self._traffic.call(functools.partial(bound, *args, **kwargs))

    return call


_CLASSES: dict[type[Any], type[Blocking[Any]]] = {}


def blocking(service_type: type[S]) -> type[Blocking[S]]:
    """The blocking class of ``service_type``: one method per public coroutine method
    (generated once per service class)."""
    made = _CLASSES.get(service_type)
    if made is not None:
        return made
    methods = {
        name: _blocking_method(name, member)
        for name, member in inspect.getmembers(service_type, inspect.iscoroutinefunction)
        if not name.startswith("_")
    }
    namespace = {"__doc__": f"Blocking counterpart of {service_type.__qualname__}.", **methods}
    made = type(f"Blocking{service_type.__name__}", (Blocking,), namespace)
    _CLASSES[service_type] = made
    return made


class BlockingAace:
    """The services of :class:`Aace`, blocking. Build it with :meth:`Aace.open_sync`."""

    llms: Blocking[LlmService]
    agents: Blocking[AgentService]
    threads: Blocking[ThreadService]
    runs: Blocking[RunService]
    messages: Blocking[EntityService[Message]]
    tool_calls: Blocking[ToolCallService]
    async_tasks: Blocking[AsyncTaskService]
    fine_tuning_messages: Blocking[NaturalKeyService[FineTuningMessage]]
    prompt_templates: Blocking[PromptTemplateService]
    flow_snippets: Blocking[FlowSnippetService]
    mcp_servers: Blocking[McpServerService]
    elements: Blocking[EntityService[Element]]
    ui_components: Blocking[EntityService[UiComponent]]
    wizards: Blocking[WizardService]
    wizard_schemas: Blocking[WizardSchemaService]
    wizard_groups: Blocking[WizardGroupService]
    wizard_group_filters: Blocking[EntityService[WizardGroupFilter]]
    coordinations: Blocking[CoordinationService]
    tasks: Blocking[TaskService]
    sessions: Blocking[SessionService]
    session_agents: Blocking[SessionAgentService]
    session_runs: Blocking[SessionRunService]
    task_schedules: Blocking[EntityService[TaskSchedule]]
    usage: Blocking[UsageService]
    usage_limits: Blocking[UsageLimitService]
    usage_summaries: Blocking[UsageSummaryService]

    def __init__(self, settings: Settings | None = None) -> None:
        self._exit = ExitStack()
        portal = self._exit.enter_context(start_blocking_portal())
        try:
            self._app: Aace = portal.call(_open, settings)
        except BaseException:
            self._exit.close()
            raise
        self._exit.callback(portal.call, self._app.close)
        traffic = Traffic(portal)
        for name, service_type in SERVICES.items():
            setattr(self, name, blocking(service_type)(traffic, getattr(self._app, name)))
        self.settings = self._app.settings

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
