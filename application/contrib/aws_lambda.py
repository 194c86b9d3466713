"""AWS Lambda behind API Gateway: a handler decorator that opens one ``Aace`` per container,
on the first invocation, and reuses it while the container stays warm; the tenant from the
event; the answer, or an ``AaceError``'s problem details, as an API Gateway response.

::

    @handler(tenant=claims_tenant())
    async def get_agent(request: LambdaRequest[Aace]) -> Any:
        return await request.app.agents.get(request.tenant, request.path_parameters["id"])

An ``async def`` runs on an event loop kept for the container; a plain ``def`` gets the
blocking twin (``LambdaRequest[BlockingAace]``). Powertools' decorators go above it::

    @logger.inject_lambda_context
    @tracer.capture_lambda_handler
    @handler(tenant=claims_tenant())
    async def get_agent(request: LambdaRequest[Aace]) -> Any: ...

Errors that are not the package's are raised, for Lambda (and Powertools) to report.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import attrs

from aace.application.blocking import BlockingAace
from aace.application.facade import Aace
from aace.application.problems import problem
from aace.application.settings import Settings
from aace.contrib.lambda_events import (
    authorizer_claims,
    event_body,
    event_headers,
    event_method,
    event_path,
    event_query,
    event_url_path,
    gateway_response,
)
from aace.contrib.tenants import ClaimsTenant, HeaderTenant, PlatformTenant
from aace.contrib.web import (
    health_response,
    next_link,
    page_query,
    problem_response,
    value_response,
)
from aace.domain.errors import AaceError
from aace.domain.tenancy import TenantContext

__all__ = [
    "LambdaHandler",
    "LambdaRequest",
    "claims_tenant",
    "handler",
    "header_tenant",
    "platform_tenant",
]

A = TypeVar("A", Aace, BlockingAace)
Event = Mapping[str, Any]
#: The tenant of an invocation, from its event.
EventResolver = Callable[[Event], TenantContext]


@attrs.frozen
class LambdaRequest(Generic[A]):
    """One invocation: the event and context, the container's ``app`` and the tenant."""

    event: Event
    context: Any
    app: A
    tenant: TenantContext
    camel: bool = False

    @property
    def method(self) -> str:
        return event_method(self.event)

    @property
    def path(self) -> str:
        return event_path(self.event)

    @property
    def headers(self) -> dict[str, str]:
        return event_headers(self.event)

    @property
    def query(self) -> dict[str, str]:
        """The query, one value per name (the last)."""
        return dict(event_query(self.event))

    @property
    def path_parameters(self) -> dict[str, str]:
        return dict(self.event.get("pathParameters") or {})

    def json(self) -> Any:
        """The body as JSON (``None`` without one); not JSON: ``ValidationError`` (422)."""
        return event_body(self.event)

    def page_params(self) -> tuple[int, str | None]:
        """``limit`` (default 50) and ``cursor`` from the query; a bad ``limit`` is a 422."""
        return page_query(self.query)

    def respond(self, value: Any, *, status: int = 200) -> dict[str, Any]:
        """``value`` in the web shape as an API Gateway response; a page with more to come
        links the next one (``Link``)."""
        return _answer(self.event, value, status=status, camel=self.camel)


class _Container(Generic[A]):
    """What a warm container keeps between invocations: its ``app``, opened on first use
    (an ``Aace`` on a loop of its own, or the blocking twin)."""

    def __init__(self, settings: Settings | None, blocking: bool) -> None:
        self.settings = settings
        self.blocking = blocking
        self.app: Any = None
        self.opened = 0
        self._loop: asyncio.AbstractEventLoop | None = None

    def run(self, work: Callable[[Any], Any]) -> Any:
        if self.blocking:
            return work(self._blocking_app())
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop.run_until_complete(self._run(work))

    def _blocking_app(self) -> BlockingAace:
        if self.app is None:
            self._opened(Aace.open_sync(self.settings))
        app: BlockingAace = self.app
        return app

    async def _run(self, work: Callable[[Aace], Awaitable[Any]]) -> Any:
        if self.app is None:
            self._opened(await Aace.open(self.settings))
        return await work(self.app)

    def _opened(self, app: Aace | BlockingAace) -> None:
        """Keep ``app`` for the container; a process that exits (a local run, a test
        session) closes it, while Lambda freezes a container with it open."""
        self.app = app
        self.opened += 1
        atexit.register(self.close)

    def close(self) -> None:
        atexit.unregister(self.close)
        app, self.app = self.app, None
        if isinstance(app, BlockingAace):
            app.close()
        elif app is not None and self._loop is not None:
            self._loop.run_until_complete(app.close())
        if self._loop is not None:
            self._loop.close()
            self._loop = None


class LambdaHandler:
    """A Lambda handler, ``(event, context) -> response``: what :func:`handler` makes.
    ``close()`` closes the container's ``Aace`` (tests; Lambda just freezes the process)."""

    __name__: str  # the decorated function's, as Powertools' decorators read it

    def __init__(
        self,
        function: Callable[[Any], Any],
        container: _Container[Any],
        tenant: EventResolver | None,
        options: _Options,
    ) -> None:
        functools.update_wrapper(self, function)
        self._function = function
        self._container = container
        self._tenant = tenant
        self._options = options

    @property
    def opened(self) -> int:
        """How many times this container opened its ``Aace`` (1 while it stays warm)."""
        return self._container.opened

    def __call__(self, event: Event, context: Any) -> dict[str, Any]:
        camel = self._options.camel
        try:
            if self._is_health_check(event):
                health: dict[str, Any] = self._container.run(self._health)
                return health
            if self._tenant is None:
                raise RuntimeError("no tenant resolver: handler(tenant=...)")
            tenant = self._tenant(event)
            answer = self._container.run(
                lambda app: self._function(LambdaRequest(event, context, app, tenant, camel))
            )
        except AaceError as error:
            return gateway_response(problem_response(problem(error)))
        if isinstance(answer, Mapping) and "statusCode" in answer:
            return dict(answer)
        if answer is None:
            return {"statusCode": 204, "headers": {}, "body": "", "isBase64Encoded": False}
        return _answer(event, answer, status=200, camel=camel)

    def _is_health_check(self, event: Event) -> bool:
        path = self._options.health
        return path is not None and event_method(event) == "GET" and event_path(event) == path

    def _health(self, app: Aace | BlockingAace) -> Any:
        details = self._options.health_details
        if isinstance(app, BlockingAace):
            return gateway_response(health_response(app.ping(), details=details))

        async def ping() -> dict[str, Any]:
            return gateway_response(health_response(await app.ping(), details=details))

        return ping()

    def close(self) -> None:
        self._container.close()


@attrs.frozen
class _Options:
    camel: bool
    health: str | None
    health_details: bool


def handler(
    *,
    settings: Settings | None = None,
    tenant: EventResolver | None = None,
    health: str | None = "/health",
    health_details: bool = False,
    camel: bool = False,
) -> Callable[[Callable[[LambdaRequest[Any]], Any]], LambdaHandler]:
    """Make ``function(request)`` a Lambda handler. One ``Aace`` per container (``settings``,
    or :meth:`Settings.load`), opened on the first invocation; ``tenant`` resolves the
    event's tenant (:func:`claims_tenant`, or a gateway preset). The function returns what
    to answer (records, pages, JSON values: 200 in the web shape; ``None``: 204; a dict with
    a ``statusCode``: as it is); an ``AaceError`` is its problem details. ``GET health``
    answers ``app.ping()`` (200 or 503) before any tenant is resolved (``None``: no such
    path; ``health_details``: each check's detail, which may name a host)."""

    def decorate(function: Callable[[LambdaRequest[Any]], Any]) -> LambdaHandler:
        blocking = not inspect.iscoroutinefunction(function)
        options = _Options(camel, health, health_details)
        return LambdaHandler(function, _Container(settings, blocking), tenant, options)

    return decorate


def _answer(event: Event, value: Any, *, status: int, camel: bool) -> dict[str, Any]:
    cursor = getattr(value, "next_cursor", None)
    link = None
    if isinstance(cursor, str):
        link = next_link(event_url_path(event), event_query(event), cursor)
    return gateway_response(value_response(value, status=status, link=link, camel=camel))


def claims_tenant(
    endpoint_claim: str = "endpoint_id", part_claim: str = "part_id", actor_claim: str = "sub"
) -> EventResolver:
    """The tenant in the claims the API Gateway authorizer verified (JWT or Lambda
    authorizer; :func:`~aace.contrib.lambda_events.authorizer_claims`). A principal that
    names no endpoint is ``Forbidden`` (403)."""
    preset = ClaimsTenant(endpoint_claim, part_claim, actor_claim)
    return lambda event: preset.context(authorizer_claims(event))


def header_tenant(
    endpoint_header: str = "X-Endpoint-ID",
    part_header: str = "X-Part-ID",
    actor_header: str | None = None,
) -> EventResolver:
    """The tenant from two headers. **For a trusted gateway only**: any client can send
    these headers; the gateway must set them and drop the client's own."""
    preset = HeaderTenant(endpoint_header, part_header, actor_header)
    return lambda event: preset.context(event_headers(event))


def platform_tenant(
    part_header: str = "Part-Id", actor_header: str | None = None
) -> EventResolver:
    """The platform's convention: endpoint id from the ``endpoint_id`` path parameter, else
    the path's first segment; part id from ``Part-Id``. **Trusted gateway only.**"""
    preset = PlatformTenant(part_header, actor_header)
    return lambda event: preset.context(
        event_headers(event), event_path(event), event.get("pathParameters")
    )
