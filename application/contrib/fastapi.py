"""FastAPI: the Starlette integration (:mod:`aace.contrib.starlette`) plus typed
dependencies and FastAPI's own request-validation errors as the same 422 problem
(extra ``fastapi``).

::

    api = FastAPI(lifespan=lifespan(settings))
    install(api, tenant=tenant_of_user)

    @api.get("/agents")
    async def list_agents(app: AaceApp, ctx: Tenant, paging: Paging) -> Page[Agent]:
        page = await app.agents.list(ctx, limit=paging.limit, cursor=paging.cursor)
        return paging.respond(page)

Records, ``Page[T]`` and ``Loaded[E]`` are pydantic types already: routes return them as
they are.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

import attrs
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response as StarletteResponse

from aace.application.facade import Aace
from aace.application.problems import request_problem
from aace.contrib import starlette as _starlette
from aace.contrib.starlette import (
    current_aace,
    current_tenant,
    header_tenant,
    lifespan,
    platform_tenant,
    render_error,
    respond,
)
from aace.contrib.tenants import TenantResolver
from aace.contrib.web import DEFAULT_PAGE_SIZE, next_link, problem_response
from aace.domain.query import MAX_PAGE_SIZE, Page
from aace.domain.tenancy import TenantContext

__all__ = [
    "AaceApp",
    "PageRequest",
    "Paging",
    "Tenant",
    "current_aace",
    "current_tenant",
    "header_tenant",
    "install",
    "lifespan",
    "platform_tenant",
    "render_error",
    "render_request_error",
    "respond",
]

T = TypeVar("T")

#: The open ``Aace``, as a route parameter: ``app: AaceApp``.
AaceApp = Annotated[Aace, Depends(current_aace)]
#: The request's tenant, from the resolver given to :func:`install`: ``ctx: Tenant``.
Tenant = Annotated[TenantContext, Depends(current_tenant)]


def install(
    api: FastAPI,
    *,
    tenant: TenantResolver[Request] | None = None,
    health: str | None = "/health",
    health_details: bool = False,
    camel: bool = False,
) -> None:
    """What :func:`aace.contrib.starlette.install` does, and FastAPI's request-validation
    errors rendered as the 422 problem a ``ValidationError`` gives (every field listed)."""
    _starlette.install(
        api, tenant=tenant, health=health, health_details=health_details, camel=camel
    )
    api.add_exception_handler(RequestValidationError, render_request_error)


async def render_request_error(request: Request, error: Exception) -> StarletteResponse:
    """FastAPI's own request errors (query, path, body) in the problem shape."""
    errors = [
        {**e, "loc": ("body",)} if e.get("type") == "json_invalid" else e  # not at a position
        for e in (error.errors() if isinstance(error, RequestValidationError) else [])
    ]
    found = problem_response(request_problem(errors))
    headers = dict(found.headers)
    media_type = headers.pop("Content-Type")
    return StarletteResponse(found.body, found.status, headers, media_type=media_type)


@attrs.frozen
class PageRequest:
    """A listing's ``limit`` and ``cursor`` from the query; :meth:`respond` sets the
    ``Link`` header to the next page."""

    limit: int
    cursor: str | None
    request: Request
    response: Response

    def respond(self, page: Page[T]) -> Page[T]:
        """``page`` as it is, its next page linked (``Link: <...>; rel="next"``)."""
        if page.next_cursor:
            query = self.request.query_params.multi_items()
            self.response.headers["Link"] = next_link(
                self.request.url.path, query, page.next_cursor
            )
        return page


def _page_request(
    request: Request,
    response: Response,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
    cursor: Annotated[str | None, Query()] = None,
) -> PageRequest:
    return PageRequest(limit, cursor, request, response)


#: ``limit`` and ``cursor`` as a route parameter: ``paging: Paging``.
Paging = Annotated[PageRequest, Depends(_page_request)]
