"""What the old code keeps doing while a migration runs, on either legacy source, and a run's
progress callback that makes it happen mid-run without a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

import attrs

from aace.domain.entities import AGENTS, MCP_SERVERS, MESSAGES
from aace.domain.migration import table_named
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.migration.legacy import LegacyData

__all__ = ["OnPage", "changes", "later"]

AGENT, MCP, MESSAGE = (table_named(s.name) for s in (AGENTS, MCP_SERVERS, MESSAGES))


class Deployment(Protocol):
    @property
    def data(self) -> LegacyData: ...

    @property
    def endpoints(self) -> list[str]: ...


def later(entity: Any, schema: Any, **changed: Any) -> Any:
    """``entity`` changed an hour after its version (so newer wins)."""
    stamp = getattr(entity, schema.version_field) + timedelta(hours=1)
    return attrs.evolve(entity, **{schema.version_field: stamp, **changed})


def changes(legacy: Deployment, round_: int) -> None:
    """A new agent, an agent renamed, an MCP server deleted, a message added to an existing
    run and another deleted: what the old code keeps doing."""
    data = legacy.data
    endpoint = legacy.endpoints[round_ % len(legacy.endpoints)]
    data.put(AGENT, sample(AGENTS, PartitionKey(endpoint, endpoint), agent_name=f"new {round_}"))
    agent = data.expected["agents"][round_]
    data.put(AGENT, later(agent, AGENTS, agent_name=f"renamed {round_}"))
    data.delete(MCP, data.expected["mcp_servers"][0])
    run_ = data.expected["runs"][round_]
    link = {"thread_uuid": run_.thread_uuid, "run_uuid": run_.run_uuid}
    data.put(MESSAGE, sample(MESSAGES, run_.partition_key, **link))
    data.delete(MESSAGE, data.expected["messages"][round_])


class OnPage:
    """A run's progress callback that acts once, when the ``page``-th page is written: the
    run is under way then, whatever the machine's speed."""

    def __init__(self, page: int, action: Callable[[], None]) -> None:
        self.left = page
        self.action = action
        self.acted = False

    def advance(self, table: str, records: int) -> None:
        self.left -= 1
        if self.left == 0:
            self.action()
            self.acted = True
