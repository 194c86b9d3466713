"""Application services: the use cases other backends embed."""

from aace.application.services.agents import AGENT_COUNTER, AgentService
from aace.application.services.coordinations import CoordinationService, CreatedCoordination

__all__ = ["AGENT_COUNTER", "AgentService", "CoordinationService", "CreatedCoordination"]
