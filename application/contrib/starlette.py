"""Starlette: one ``Aace`` per app, opened and closed by the app's lifespan; the tenant from
the embedder's resolver; errors as problem details; JSON in the web shape, a page with a
``Link`` to the next one; a health route (extra ``fastapi`` brings Starlette).

::

    app = Starlette(routes=[...], lifespan=lifespan(settings))
    install(app, tenant=tenant_of_user)

    async def get_agent(request: Request) -> Response:
        ctx = await current_tenant(request)
        agent = await current_aace(request).agents.get(ctx, request.path_params["id"])
        return respond(agent, request)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from aace.application.facade import Aace
from aace.application.problems import problem
from aace.application.settings import Settings
from aace.contrib.tenants import TenantResolver, header_tenant, platform_tenant, resolve_tenant
from aace.contrib.web import (
    WebResponse,
    health_response,
    next_link,
    page_query,
    problem_response,
    value_response,
)
from aace.domain.errors import AaceError
from aace.domain.tenancy import TenantContext

__all__ = [
    "current_aace",
    "current_tenant",
    "header_tenant",
    "install",
    "lifespan",
    "page_params",
    "platform_tenant",
    "render_error",
    "respond",
]

#: Where the app keeps what the lifespan opened and what ``install`` was given.
_AACE, _RESOLVER, _CAMEL = "aace", "aace_tenant_resolver", "aace_camel"
Lifespan = Callable[[Starlette], AbstractAsyncContextManager[None]]


def lifespan(settings: Settings | None = None) -> Lifespan:
    """The app's lifespan: opens ``Aace`` (``settings``, or :meth:`Settings.load`) at
    start-up and closes it at shutdown. Inside a lifespan of your own:
    ``async with lifespan(settings)(app): ...``."""

    @asynccontextmanager
    async def run(app: Starlette) -> AsyncIterator[None]:
        async with Aace.open(settings) as opened:
            setattr(app.state, _AACE, opened)
            try:
                yield
            finally:
                delattr(app.state, _AACE)

    return run


def install(
    app: Starlette,
    *,
    tenant: TenantResolver[Request] | None = None,
    health: str | None = "/health",
    health_details: bool = False,
    camel: bool = False,
) -> None:
    """Add the problem-details handler for every ``AaceError``, the health route at
    ``health`` (``None``: none) and the tenant resolver :func:`current_tenant` uses;
    ``camel``: :func:`respond` writes camelCase names."""
    setattr(app.state, _RESOLVER, tenant)
    setattr(app.state, _CAMEL, camel)
    app.add_exception_handler(AaceError, render_error)
    if health is not None:

        async def health_route(request: Request) -> Response:
            found = await current_aace(request).ping()
            return _starlette(health_response(found, details=health_details))

        app.add_route(health, health_route, methods=["GET"], include_in_schema=False)


def current_aace(request: Request) -> Aace:
    """The ``Aace`` the lifespan opened."""
    opened = getattr(request.app.state, _AACE, None)
    if opened is None:
        raise RuntimeError("no Aace is open: give the app lifespan=aace.contrib...lifespan()")
    if not isinstance(opened, Aace):
        raise TypeError(f"app.state.{_AACE} is a {type(opened).__name__}, not Aace")
    return opened


async def current_tenant(request: Request) -> TenantContext:
    """The request's tenant, from the resolver given to :func:`install`."""
    resolver = getattr(request.app.state, _RESOLVER, None)
    if resolver is None:
        raise RuntimeError("no tenant resolver: call install(app, tenant=...)")
    return await resolve_tenant(resolver, request)


def page_params(request: Request) -> tuple[int, str | None]:
    """``limit`` (default 50) and ``cursor`` from the query; a bad ``limit`` is a 422."""
    return page_query(request.query_params)


def respond(value: Any, request: Request | None = None, *, status_code: int = 200) -> Response:
    """``value`` in the web shape as JSON; a ``Page`` with more to come carries a ``Link``
    to the next page when ``request`` is given."""
    link = None
    cursor = getattr(value, "next_cursor", None)
    if request is not None and isinstance(cursor, str):
        link = next_link(request.url.path, request.query_params.multi_items(), cursor)
    camel = bool(getattr(request.app.state, _CAMEL, False)) if request is not None else False
    return _starlette(value_response(value, status=status_code, link=link, camel=camel))


async def render_error(request: Request, error: Exception) -> Response:
    """The exception handler: an ``AaceError`` as problem details with its status."""
    return _starlette(problem_response(problem(error)))


def _starlette(response: WebResponse) -> Response:
    headers = dict(response.headers)
    media_type = headers.pop("Content-Type")
    return Response(response.body, response.status, headers, media_type=media_type)
