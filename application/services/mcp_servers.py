"""MCP servers: their ``headers`` are credentials (behaviour.md §11), so every record a
caller reads is the public view without them; only :meth:`McpServerService.credentials`
returns them. :meth:`McpServerService.internal_mcp` gives the platform's internal MCP
server as a tenant must call it."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import Id, checked_entry_points
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.listing import Listing, eq
from aace.application.services.views import McpServerView
from aace.domain.entities import MCP_SERVERS
from aace.domain.tenancy import TenantContext

__all__ = ["InternalMcp", "McpServerService", "McpServerView"]


@attrs.frozen(kw_only=True)
class InternalMcp:
    """The internal MCP server for one tenant. ``headers`` hold credentials: kept out of
    ``repr``."""

    base_url: str
    headers: dict[str, str] = attrs.field(repr=lambda _: "<redacted>")


@checked_entry_points
class McpServerService(EntityService[McpServerView]):
    """MCP servers of a tenant; reads return :class:`McpServerView`."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        MCP_SERVERS, Listing({"mcp_label": eq("mcp_label")})
    )

    async def credentials(self, context: TenantContext, mcp_server_uuid: Id) -> dict[str, str]:
        """The server's ``headers`` (``NotFound`` if the tenant has no such server)."""
        server = await self._records.get(context.partition_key, (mcp_server_uuid,))
        return dict(server.headers)

    async def internal_mcp(self, context: TenantContext) -> InternalMcp | None:
        """The configured internal MCP server for ``context``'s tenant (``None`` when none
        is configured): the URL with ``{endpoint_id}`` filled in; the configured headers
        plus ``X-Part-ID`` and ``Part-Id`` (the deployed servers read the latter) and
        ``Authorization: Bearer …`` when a token is configured. The settings are never
        changed."""
        settings = self._settings
        if settings.internal_mcp_url is None:
            return None
        headers = dict(settings.internal_mcp_headers)
        headers["X-Part-ID"] = context.part_id
        headers["Part-Id"] = context.part_id
        if settings.internal_mcp_bearer_token:
            headers["Authorization"] = f"Bearer {settings.internal_mcp_bearer_token}"
        url = settings.internal_mcp_url.replace("{endpoint_id}", context.endpoint_id)
        return InternalMcp(base_url=url, headers=headers)
