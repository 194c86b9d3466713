"""Application services: the use cases other backends embed, one per entity."""

from aace.application.services.agents import AGENT_COUNTER, AgentService
from aace.application.services.catalogue import (
    ElementService,
    FineTuningMessageService,
    FlowSnippetService,
    LlmService,
    PromptTemplateService,
    UiComponentService,
    WizardGroupFilterService,
)
from aace.application.services.conversation import (
    AsyncTaskService,
    MessageService,
    RunService,
    ToolCallService,
)
from aace.application.services.coordinations import CoordinationService, CreatedCoordination
from aace.application.services.entity import EntityService, NaturalKeyService, ServiceSpec
from aace.application.services.mcp_servers import InternalMcp, McpServerService, McpServerView
from aace.application.services.threads import HistoryEntry, ThreadService
from aace.application.services.versioned import VersionedService
from aace.application.services.wizards import (
    SavedWizardGroup,
    WizardGroupService,
    WizardSchemaService,
    WizardService,
)

__all__ = [
    "AGENT_COUNTER",
    "AgentService",
    "AsyncTaskService",
    "CoordinationService",
    "CreatedCoordination",
    "ElementService",
    "EntityService",
    "FineTuningMessageService",
    "FlowSnippetService",
    "HistoryEntry",
    "InternalMcp",
    "LlmService",
    "McpServerService",
    "McpServerView",
    "MessageService",
    "NaturalKeyService",
    "PromptTemplateService",
    "RunService",
    "SavedWizardGroup",
    "ServiceSpec",
    "ThreadService",
    "ToolCallService",
    "UiComponentService",
    "VersionedService",
    "WizardGroupFilterService",
    "WizardGroupService",
    "WizardSchemaService",
    "WizardService",
]
