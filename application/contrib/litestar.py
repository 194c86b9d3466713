"""Litestar: one plugin opens and closes ``Aace`` with the app, provides ``aace`` and
``tenant`` to handlers, renders errors (the package's and Litestar's own client errors) as
problem details, answers records and pages in the web shape (a page with a ``Link`` to the
next one; a ``Response(record)`` too), describes them in the OpenAPI document as they are
sent, and adds a health route (extra ``litestar``).

::

    app = Litestar([get_agent], plugins=[AacePlugin(settings, tenant=tenant_of_user)])

    @get("/agents/{agent_version_uuid:str}")
    async def get_agent(agent_version_uuid: str, aace: AaceApp, tenant: Tenant) -> Agent:
        return await aace.agents.get(tenant, agent_version_uuid)
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from litestar import Litestar, Request, get
from litestar import Response as LitestarResponse
from litestar.config.app import AppConfig
from litestar.di import NamedDependency, Provide
from litestar.enums import MediaType
from litestar.exceptions import ClientException, SerializationException, ValidationException
from litestar.plugins import InitPluginProtocol, OpenAPISchemaPlugin
from litestar.response.base import ASGIResponse
from litestar.serialization import default_serializer
from litestar.typing import FieldDefinition

from aace.application.facade import Aace
from aace.application.problems import Problem, problem, request_problem
from aace.application.settings import Settings
from aace.contrib.litestar_schema import is_web_type, web_schema
from aace.contrib.tenants import TenantResolver, header_tenant, platform_tenant, resolve_tenant
from aace.contrib.web import (
    WebResponse,
    health_response,
    next_link,
    problem_response,
    value_response,
    web_data,
)
from aace.domain.errors import AaceError
from aace.domain.query import Page
from aace.domain.tenancy import TenantContext

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

__all__ = ["AaceApp", "AacePlugin", "Tenant", "header_tenant", "platform_tenant", "respond"]

_AACE, _CAMEL = "aace", "aace_camel"
#: The open ``Aace``, as a handler parameter named ``aace``: ``aace: AaceApp``.
AaceApp = NamedDependency[Aace]
#: The request's tenant, as a handler parameter named ``tenant``: ``tenant: Tenant``.
Tenant = NamedDependency[TenantContext]


class _WebShapeResponse(LitestarResponse[Any]):
    """Records, pages and loaded records in the web shape (without the tenant or secrets);
    a page with a ``next_cursor`` carries a ``Link`` to the next page."""

    camel = False

    def render(
        self, content: Any, media_type: str, enc_hook: Callable[[Any], Any] = default_serializer
    ) -> bytes:
        return super().render(web_data(content, camel=self.camel), media_type, enc_hook)

    def to_asgi_response(
        self, app: Litestar | None, request: Request[Any, Any, Any], **options: Any
    ) -> ASGIResponse:
        if isinstance(self.content, Page) and self.content.next_cursor:
            query = request.query_params.multi_items()
            link = next_link(request.url.path, query, self.content.next_cursor)
            self.headers.setdefault("Link", link)
        return super().to_asgi_response(app, request, **options)


class _CamelResponse(_WebShapeResponse):
    camel = True


class AacePlugin(InitPluginProtocol, OpenAPISchemaPlugin):
    """Everything the app needs, as one plugin: ``Litestar(plugins=[AacePlugin(...)])``.

    ``settings``: what to open (``None``: :meth:`Settings.load`). ``tenant``: the resolver
    of a request's tenant, behind the ``tenant`` dependency. ``health``: the health route's
    path (``None``: none); ``health_details`` adds each check's detail (it may name a host).
    ``camel``: camelCase names in responses and in the OpenAPI document. Handlers ask for
    ``aace: AaceApp`` and ``tenant: Tenant`` (by these names).

    Records in a ``Response(...)`` a handler builds, or in an app's own ``response_class``,
    are written in the web shape too (an app-level ``after_request`` hook, which runs the
    app's own first); a route-level ``after_request`` replaces it: answer with
    :func:`respond` there.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        tenant: TenantResolver[Request[Any, Any, Any]] | None = None,
        health: str | None = "/health",
        health_details: bool = False,
        camel: bool = False,
    ) -> None:
        self.settings = settings
        self.tenant = tenant
        self.health = health
        self.health_details = health_details
        self.camel = camel

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.lifespan.append(self._lifespan)
        app_config.dependencies["aace"] = Provide(_current_aace, sync_to_thread=False)
        app_config.dependencies["tenant"] = Provide(self._current_tenant)
        app_config.exception_handlers[AaceError] = _render_error
        app_config.exception_handlers[ValidationException] = _render_request_error
        app_config.exception_handlers[ClientException] = _render_client_error
        app_config.signature_namespace.update(Aace=Aace, TenantContext=TenantContext)
        app_config.state[_CAMEL] = self.camel
        if app_config.response_class is None:
            app_config.response_class = _CamelResponse if self.camel else _WebShapeResponse
        app_config.after_request = self._web_shape_hook(app_config.after_request)
        if self.health is not None:
            app_config.route_handlers.append(self._health_route(self.health))
        return app_config

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Records, pages and loaded records: described by :func:`web_schema`."""
        return is_web_type(field_definition)

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Any:
        """The schema of what is sent (no tenant, no secrets; camelCase when asked)."""
        return web_schema(field_definition, schema_creator, camel=self.camel)

    def _web_shape_hook(self, previous: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
        camel = self.camel

        async def after_request(response: Any) -> Any:
            if previous is not None:
                response = previous(response)
                if inspect.isawaitable(response):
                    response = await response
            if isinstance(response, LitestarResponse) and not isinstance(
                response, _WebShapeResponse
            ):
                response.content = web_data(response.content, camel=camel)
            return response

        return after_request

    @asynccontextmanager
    async def _lifespan(self, app: Litestar) -> AsyncIterator[None]:
        async with Aace.open(self.settings) as opened:
            app.state[_AACE] = opened
            try:
                yield
            finally:
                del app.state[_AACE]

    async def _current_tenant(self, request: Request[Any, Any, Any]) -> TenantContext:
        if self.tenant is None:
            raise RuntimeError("no tenant resolver: AacePlugin(tenant=...)")
        return await resolve_tenant(self.tenant, request)

    def _health_route(self, path: str) -> Any:
        details = self.health_details

        @get(path, include_in_schema=False)
        async def health(request: Request[Any, Any, Any]) -> LitestarResponse[bytes]:
            found = await _current_aace(request).ping()
            return _litestar(health_response(found, details=details))

        return health


def _current_aace(request: Request[Any, Any, Any]) -> Aace:
    opened = request.app.state.get(_AACE)
    if not isinstance(opened, Aace):
        raise RuntimeError("no Aace is open: add AacePlugin(...) to the app's plugins")
    return opened


def respond(
    value: Any, request: Request[Any, Any, Any] | None = None, *, status_code: int = 200
) -> LitestarResponse[bytes]:
    """``value`` in the web shape as a response with ``status_code`` (camelCase when the
    plugin says so and ``request`` is given); a ``Page`` with more to come links the next
    page when ``request`` is given."""
    link = None
    cursor = getattr(value, "next_cursor", None)
    if request is not None and isinstance(cursor, str):
        link = next_link(request.url.path, request.query_params.multi_items(), cursor)
    camel = bool(request.app.state.get(_CAMEL, False)) if request is not None else False
    return _litestar(value_response(value, status=status_code, link=link, camel=camel))


def _render_error(request: Request[Any, Any, Any], error: Exception) -> LitestarResponse[bytes]:
    return _litestar(problem_response(problem(error)))


def _render_request_error(
    request: Request[Any, Any, Any], error: ValidationException
) -> LitestarResponse[bytes]:
    """Litestar's own request errors (``extra``: ``{key, message, source}`` or pydantic's
    ``{loc, msg}``) as the 422 a ``ValidationError`` gives."""
    extra = error.extra if isinstance(error.extra, list) else []
    errors = [_pydantic_shape(item) for item in extra if isinstance(item, Mapping)]
    if not errors:
        errors = [{"loc": ("body",), "msg": error.detail or "is invalid"}]
    return _litestar(problem_response(request_problem(errors)))


def _render_client_error(
    request: Request[Any, Any, Any], error: ClientException
) -> LitestarResponse[bytes]:
    """Litestar's other client errors as problem details: a body it could not decode is the
    422 naming ``body`` (as on FastAPI and Lambda); any other keeps its status
    (``about:blank``, the status's phrase as title) and its headers (``Allow``)."""
    if isinstance(error.__cause__, SerializationException):
        found = request_problem([{"loc": ("body",), "msg": error.detail or "is not valid JSON"}])
        return _litestar(problem_response(found))
    status = error.status_code
    body = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    return _litestar(problem_response(Problem(status, body, dict(error.headers or {}))))


def _pydantic_shape(item: Mapping[str, Any]) -> Mapping[str, Any]:
    if "loc" in item:
        return item
    source = getattr(item.get("source"), "value", item.get("source"))
    key = [part for part in str(item.get("key", "")).split(".") if part]
    if source == "body" and key[:1] == ["data"]:  # the handler's ``data``: the body itself
        key = key[1:]
    return {"loc": ([source] if source else []) + key, "msg": item.get("message", "is invalid")}


def _litestar(response: WebResponse) -> LitestarResponse[bytes]:
    headers = dict(response.headers)
    media_type = headers.pop("Content-Type", MediaType.JSON)
    return LitestarResponse(
        response.body, status_code=response.status, headers=headers, media_type=media_type
    )
