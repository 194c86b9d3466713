"""MCP servers: their ``headers`` are credentials (behaviour.md §11), so every record a
caller reads is the public view without them; only :meth:`McpServerService.credentials`
returns them. With keys configured they are sealed before every write (a create, an update,
whatever it changes) and opened only by ``credentials``. :meth:`McpServerService.internal_mcp`
gives the platform's internal MCP server as a tenant must call it."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs
from injector import inject

from aace.application.secrets import SecretBox
from aace.application.services.arguments import Id, checked_entry_points
from aace.application.services.entity import Context, EntityService, ServiceSpec
from aace.application.services.listing import Listing, eq
from aace.application.services.views import McpServerView
from aace.application.settings import Settings
from aace.domain.entities import MCP_SERVERS
from aace.domain.entity_rules import MCP_SERVER_RULES
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext

__all__ = ["InternalMcp", "McpServerService", "McpServerView"]


@attrs.frozen(kw_only=True)
class InternalMcp:
    """The internal MCP server for one tenant. ``headers`` hold credentials: kept out of
    ``repr``."""

    base_url: str
    headers: dict[str, str] = attrs.field(repr=lambda _: "<redacted>")

    def __json_data__(self, options: object) -> Any:
        """Never a web shape: it holds the credentials a client must not see."""
        raise TypeError("InternalMcp holds credentials: it is never sent to a client")


@checked_entry_points
class McpServerService(EntityService[McpServerView]):
    """MCP servers of a tenant; reads return :class:`McpServerView`."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        MCP_SERVERS, Listing({"mcp_label": eq("mcp_label")}), rules=MCP_SERVER_RULES
    )

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._box = SecretBox.of(settings)

    async def credentials(self, context: TenantContext, mcp_server_uuid: Id) -> dict[str, str]:
        """The server's ``headers`` (``NotFound`` if the tenant has no such server), opened
        when sealed (``UnknownSecretKey`` naming the key id no configured key has,
        ``SecretMoved`` for an envelope of another record)."""
        server = await self._records.get(context.partition_key, (mcp_server_uuid,))
        return dict(await self._box.open(self.schema, server, "headers"))

    async def _complete(self, context: Context, entity: Any) -> Any:
        """Every write seals the headers (a clear record written earlier included)."""
        return await self._box.seal(MCP_SERVERS, entity)

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
