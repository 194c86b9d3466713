"""What callers see of records: every record as stored, but an MCP server without its
``headers`` (credentials come only from ``mcp_servers.credentials``)."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from aace.domain.entities import McpServer
from aace.domain.entities.base import WebRecord

__all__ = ["McpServerView", "public_view"]


@attrs.frozen(kw_only=True)
class McpServerView(WebRecord):
    """What callers see of an MCP server: everything but its ``headers`` (a pydantic type
    as :class:`McpServer` is, which a route annotated ``-> McpServer`` also accepts)."""

    __aace_view_of__: ClassVar[type[Any]] = McpServer

    partition_key: Any
    mcp_server_uuid: str
    mcp_label: str
    mcp_server_url: str
    updated_by: str
    created_at: Any
    updated_at: Any

    @classmethod
    def of(cls, server: McpServer) -> McpServerView:
        fields = attrs.asdict(server, recurse=False)
        del fields["headers"]
        return cls(**fields)


def public_view(record: Any) -> Any:
    """``record`` as a service returns it."""
    return McpServerView.of(record) if isinstance(record, McpServer) else record
