"""The services of the facade, listed once: the attribute name and the service class.

Everything else is derived from :class:`Services`' annotations: :class:`~aace.Aace` inherits
them as its typed attributes, the container binds one singleton of each per opened store,
the blocking twin's methods are generated from them (``aace.application.blocking_services``)
and the tests take their list of services from :func:`service_types`. Adding a service is
one line here (and its records in the tests).

The classes are imported only when a store opens, so ``from aace import Aace`` stays cheap.
"""

from __future__ import annotations

import functools
import importlib
import typing
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

__all__ = ["Services", "service_names", "service_types"]

#: The package that exports every service class by the name written below.
SERVICES_PACKAGE = "aace.application.services"


class Services:
    """One attribute per service, named by the entity's plural (docs/services.md)."""

    llms: LlmService
    agents: AgentService
    threads: ThreadService
    runs: RunService
    messages: MessageService
    tool_calls: ToolCallService
    async_tasks: AsyncTaskService
    fine_tuning_messages: FineTuningMessageService
    prompt_templates: PromptTemplateService
    flow_snippets: FlowSnippetService
    mcp_servers: McpServerService
    elements: ElementService
    ui_components: UiComponentService
    wizards: WizardService
    wizard_schemas: WizardSchemaService
    wizard_groups: WizardGroupService
    wizard_group_filters: WizardGroupFilterService
    coordinations: CoordinationService
    tasks: TaskService
    sessions: SessionService
    session_agents: SessionAgentService
    session_runs: SessionRunService
    task_schedules: TaskScheduleService
    usage: UsageService
    usage_limits: UsageLimitService
    usage_summaries: UsageSummaryService


def service_names() -> tuple[str, ...]:
    """The services' attribute names, in roster order (imports no service)."""
    return tuple(Services.__annotations__)


@functools.cache
def service_types() -> dict[str, type[Any]]:
    """Attribute name → service class, in roster order (imports the services)."""
    namespace = vars(importlib.import_module(SERVICES_PACKAGE))
    hints = typing.get_type_hints(Services, globalns=namespace)
    return {name: hints[name] for name in service_names()}
