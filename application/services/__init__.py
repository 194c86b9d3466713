"""Application services: the use cases other backends embed."""

from application.services.agents import AGENT_COUNTER, AgentService
from application.services.coordinations import CoordinationService, CreatedCoordination

__all__ = ["AGENT_COUNTER", "AgentService", "CoordinationService", "CreatedCoordination"]
