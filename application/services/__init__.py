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
from aace.application.services.coordinations import (
    CoordinationService,
    SessionRunService,
    TaskScheduleService,
    TaskService,
)
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.generated import NaturalKeyService
from aace.application.services.mcp_servers import InternalMcp, McpServerService
from aace.application.services.sessions import SessionAgentService, SessionService
from aace.application.services.threads import HistoryEntry, ThreadService
from aace.application.services.usage import (
    UsageCheck,
    UsageLimitService,
    UsageService,
    UsageSummaryService,
)
from aace.application.services.versioned import VersionedService
from aace.application.services.views import McpServerView
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
    "SessionAgentService",
    "SessionRunService",
    "SessionService",
    "ServiceSpec",
    "TaskScheduleService",
    "TaskService",
    "ThreadService",
    "ToolCallService",
    "UsageCheck",
    "UsageLimitService",
    "UsageService",
    "UsageSummaryService",
    "UiComponentService",
    "VersionedService",
    "WizardGroupFilterService",
    "WizardGroupService",
    "WizardSchemaService",
    "WizardService",
]
