"""What one GraphQL request carries to its resolvers (``info.context``): the app, the
tenant, the request's loader, whether the caller is an operator, the embedder's handlers
and the errors a resolver reports beside its data (a delete refused: ``{ok: false}``)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from aace.domain.tenancy import PlatformContext, TenantContext

if TYPE_CHECKING:
    from aace.application.facade import Aace
    from aace.application.loader import Loader
    from aace.graphql.paging import PageMemo

__all__ = ["RequestState", "state_of"]


@attrs.define
class RequestState:
    """One request's context for every resolver."""

    app: Aace
    tenant: TenantContext
    loader: Loader
    memo: PageMemo
    #: the caller may write the platform registries and read MCP credentials
    operator: bool = False
    #: the embedder's handlers of non-persistence operations, by operation name
    handlers: Mapping[str, Callable[..., Any]] = attrs.field(factory=dict)
    #: the embedder's resolvers of fields that are not storage ("MCPServerType.tools")
    fields: Mapping[str, Callable[..., Any]] = attrs.field(factory=dict)
    #: the request's own context (``context`` of the call, headers over HTTP)
    request: Mapping[str, Any] = attrs.field(factory=dict)
    #: errors reported beside data (``{ok: false}`` with the reason)
    errors: list[tuple[str, Exception]] = attrs.field(factory=list)
    #: MCP credentials read in this request, by server (one read per distinct server)
    credentials: dict[str, asyncio.Future[Any]] = attrs.field(factory=dict)

    async def credentials_of(self, mcp_server_uuid: str) -> Any:
        """The server's headers (``mcp_servers.credentials``), read once per request."""
        if mcp_server_uuid not in self.credentials:
            self.credentials[mcp_server_uuid] = asyncio.ensure_future(
                self.app.mcp_servers.credentials(self.tenant, mcp_server_uuid)
            )
        return await self.credentials[mcp_server_uuid]

    def writer(self, registry: bool) -> TenantContext | PlatformContext:
        """The context a write runs under: an operator's for a registry when the policy
        lets this caller write registries, else the tenant's (refused by the service)."""
        if registry and self.operator:
            return PlatformContext(self.tenant.updated_by)
        return self.tenant

    def with_updated_by(self, updated_by: str | None) -> RequestState:
        """This request's state acting as ``updated_by`` (a mutation's ``updatedBy``)."""
        if not updated_by or updated_by == self.tenant.updated_by:
            return self
        return attrs.evolve(self, tenant=TenantContext(self.tenant.partition_key, updated_by))


def state_of(info: Any) -> RequestState:
    """The request state of a resolver's ``info``."""
    state: RequestState = info.context
    return state
