"""Who the tenant is, for every integration: the resolver the embedder gives, and presets.

A resolver is a callable of the framework's request returning a ``TenantContext`` (or an
awaitable of one). The one to use reads the *authenticated* principal: what the embedder's
auth middleware verified (``request.state.user``, a JWT's claims, an API Gateway authorizer's
claims). The header presets trust whatever the client sends and are for a trusted gateway
only, one that sets these headers itself and strips them from outside requests.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, TypeVar

import attrs

from aace.domain.errors import Forbidden
from aace.domain.tenancy import TenantContext

__all__ = [
    "ClaimsTenant",
    "HeaderTenant",
    "PlatformTenant",
    "TenantResolver",
    "WebRequest",
    "header_tenant",
    "header_value",
    "platform_tenant",
    "resolve_tenant",
]

R = TypeVar("R")

#: What the embedder gives: the request in, its tenant out (or an awaitable of it).
TenantResolver = Callable[[R], TenantContext | Awaitable[TenantContext]]


async def resolve_tenant(resolver: TenantResolver[R], request: R) -> TenantContext:
    """The resolver's answer for ``request``, awaited where it is a coroutine; anything but
    a ``TenantContext`` is a programming error (``TypeError``)."""
    found = resolver(request)
    if inspect.isawaitable(found):
        found = await found
    if not isinstance(found, TenantContext):
        raise TypeError(f"the tenant resolver returned {type(found).__name__}, not TenantContext")
    return found


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """The header ``name``, whatever its case in ``headers`` (a plain dict, as Lambda's
    events carry; a framework's own header map already ignores case)."""
    found = headers.get(name)
    if found is not None:
        return found
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


@attrs.frozen
class HeaderTenant:
    """The tenant named by two headers (``X-Endpoint-ID``, ``X-Part-ID`` by default), who
    acts by a third where given. **For a trusted gateway only.** A missing endpoint header is
    ``InvalidPartitionKey`` (400); a missing or empty part is the endpoint (the package's one
    fallback rule)."""

    endpoint_header: str = "X-Endpoint-ID"
    part_header: str = "X-Part-ID"
    actor_header: str | None = None

    def context(self, headers: Mapping[str, str]) -> TenantContext:
        return TenantContext.from_request(
            header_value(headers, self.endpoint_header),
            header_value(headers, self.part_header),
            updated_by=_actor(headers, self.actor_header),
        )


@attrs.frozen
class PlatformTenant:
    """The platform's convention: the endpoint id is the path's first segment
    (``/{endpoint_id}/...``, or a path parameter ``endpoint_id`` where the route declares
    one) and the part id is the ``Part-Id`` header. **For a trusted gateway only.**"""

    part_header: str = "Part-Id"
    actor_header: str | None = None
    endpoint_parameter: str = "endpoint_id"

    def context(
        self, headers: Mapping[str, str], path: str, parameters: Mapping[str, Any] | None = None
    ) -> TenantContext:
        endpoint = (parameters or {}).get(self.endpoint_parameter)
        if not endpoint:
            endpoint = path.strip("/").split("/")[0]
        return TenantContext.from_request(
            str(endpoint),
            header_value(headers, self.part_header),
            updated_by=_actor(headers, self.actor_header),
        )


@attrs.frozen
class ClaimsTenant:
    """The tenant in a verified principal's claims (a JWT, an authorizer's context): the
    claims ``endpoint_id`` and ``part_id``, who acts by ``sub`` (names configurable). A
    principal that names no endpoint is ``Forbidden`` (403): it is authenticated, but for
    no tenant."""

    endpoint_claim: str = "endpoint_id"
    part_claim: str = "part_id"
    actor_claim: str = "sub"

    def context(self, claims: Mapping[str, Any]) -> TenantContext:
        endpoint = claims.get(self.endpoint_claim)
        if not endpoint:
            raise Forbidden(f"the principal has no {self.endpoint_claim!r} claim")
        part = claims.get(self.part_claim)
        actor = claims.get(self.actor_claim)
        return TenantContext.from_request(
            str(endpoint), str(part) if part else None, updated_by=str(actor or "system")
        )


class _Url(Protocol):
    @property
    def path(self) -> str: ...


class WebRequest(Protocol):
    """What the presets read of a request: Starlette's and Litestar's requests have it."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def url(self) -> _Url: ...

    @property
    def path_params(self) -> Mapping[str, Any]: ...


def header_tenant(
    endpoint_header: str = "X-Endpoint-ID",
    part_header: str = "X-Part-ID",
    actor_header: str | None = None,
) -> Callable[[WebRequest], TenantContext]:
    """A resolver reading the tenant from two headers. **For a trusted gateway only**: any
    client can send these headers; the gateway must set them and drop the client's own."""
    preset = HeaderTenant(endpoint_header, part_header, actor_header)
    return lambda request: preset.context(request.headers)


def platform_tenant(
    part_header: str = "Part-Id", actor_header: str | None = None
) -> Callable[[WebRequest], TenantContext]:
    """A resolver for the platform's convention: endpoint id from the path (``endpoint_id``
    path parameter, else the first segment), part id from ``Part-Id``. **Trusted gateway
    only.**"""
    preset = PlatformTenant(part_header, actor_header)
    return lambda request: preset.context(request.headers, request.url.path, request.path_params)


def _actor(headers: Mapping[str, str], name: str | None) -> str:
    found = header_value(headers, name) if name else None
    return found or "system"
