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
they are. :func:`install` also puts them in FastAPI's encoder table (a route that annotates
nothing, ``jsonable_encoder``), makes ``camel=True`` reach every answer and the OpenAPI
document, and documents error responses as problem details.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any, TypeVar

import attrs
from fastapi import Depends, FastAPI, Query, Request, Response
from fastapi.encoders import ENCODERS_BY_TYPE
from fastapi.exceptions import RequestValidationError
from starlette.responses import Response as StarletteResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from aace.application.facade import Aace
from aace.application.loader import Loaded
from aace.application.problems import MEDIA_TYPE, PROBLEM_JSON_SCHEMA, request_problem
from aace.application.roster import service_types
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
from aace.domain.core_schemas import WEB_OPTIONS, web_options
from aace.domain.entities.base import WebRecord
from aace.domain.query import MAX_PAGE_SIZE, Page
from aace.domain.serialization import JsonOptions
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
    "register_encoders",
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
    """What :func:`aace.contrib.starlette.install` does, and: FastAPI's request-validation
    errors rendered as the 422 problem a ``ValidationError`` gives (every field listed);
    records and pages in FastAPI's encoder table (:func:`register_encoders`); ``camel``:
    camelCase names in every answer (annotated routes too) and in the OpenAPI document,
    whose 422 and other 4xx responses are described as problem details."""
    _starlette.install(
        api, tenant=tenant, health=health, health_details=health_details, camel=camel
    )
    api.add_exception_handler(RequestValidationError, render_request_error)
    register_encoders()
    options = JsonOptions(camel=camel)
    if camel:
        api.add_middleware(_WebOptions, options=options)
    _document_problems(api, options)


class _WebOptions:
    """Pure ASGI middleware: the app's web options (camelCase) for everything pydantic and
    ``jsonable_encoder`` write while it answers a request (:data:`WEB_OPTIONS`)."""

    def __init__(self, app: ASGIApp, options: JsonOptions) -> None:
        self.app = app
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with web_options(self.options):
            await self.app(scope, receive, send)


def register_encoders() -> None:
    """Put every record class, ``Page`` and ``Loaded`` in FastAPI's encoder table
    (``fastapi.encoders.ENCODERS_BY_TYPE``): ``jsonable_encoder`` and routes that annotate
    nothing write them in the web shape. ``InternalMcp`` is left out (it holds credentials:
    never send it)."""
    service_types()  # every service module loaded: the values they return are defined
    for cls in (Page, Loaded, *_subclasses(WebRecord)):
        ENCODERS_BY_TYPE.setdefault(cls, _web_data)


def _subclasses(cls: type[Any]) -> Iterator[type[Any]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _web_data(value: Any) -> Any:
    return WEB_OPTIONS.get().data(value)


_PROBLEM = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def _document_problems(api: FastAPI, options: JsonOptions) -> None:
    """The app's OpenAPI document written with ``options`` (camelCase names), its 422 and
    4xx responses as problem details (instead of FastAPI's ``HTTPValidationError``)."""
    generate: Callable[[], dict[str, Any]] = api.openapi

    def openapi() -> dict[str, Any]:
        if api.openapi_schema is None:
            with web_options(options):
                document = generate()
            api.openapi_schema = _problem_responses(document)
        return api.openapi_schema

    api.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def _problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with each operation's 422 and a ``4XX`` response as problem details and
    the ``Problem`` schema; FastAPI's validation-error schemas go where nothing names them."""
    for path in document.get("paths", {}).values():
        for operation in path.values():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if not isinstance(responses, dict):
                continue
            if "422" in responses:
                responses["422"] = {"description": "Every bad field", "content": _PROBLEM}
            responses.setdefault("4XX", {"description": "Problem details", "content": _PROBLEM})
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_JSON_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps(document):
            schemas.pop(name, None)
    return document


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
