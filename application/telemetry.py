"""OpenTelemetry for the services: a span per service call, child spans per storage request,
counters for cache outcomes, retries, throttles, lost races and idempotent replays.

On when ``opentelemetry-api`` is importable and the embedder has set a tracer provider or a
meter provider (not the API's default proxy), unless ``Settings.telemetry`` is ``"off"``;
decided once, when a store opens (:func:`telemetry_for`). The wiring gives each service its
:class:`ServiceTelemetry` (:func:`attach`); with telemetry off the attribute stays ``None``
and a call costs one attribute read more (``arguments._checked``).

Spans are named ``aace.<service>.<verb>`` (the roster's attribute name and the method:
``aace.agents.create``) and carry ``aace.adapter``, ``aace.requests`` and ``aace.retries``;
``aace.tenant`` only with ``Settings.telemetry = "tenant"``. Storage requests are client
spans after the OTel database conventions (``db.system.name``, ``db.operation.name``,
``db.collection.name``). No attribute holds a record value, a secret or an error message.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aace.adapters.observing import (
    CACHE_LOOKUPS,
    IDEMPOTENT_REPLAYS,
    LOST_RACES,
    OBSERVER,
    RETRIES,
    THROTTLES,
    Finish,
    error_type,
)
from aace.domain.tenancy import PlatformContext, TenantContext

if TYPE_CHECKING:
    from opentelemetry.metrics import Counter, Meter
    from opentelemetry.trace import Tracer

    from aace.application.settings import Settings

__all__ = [
    "ATTRIBUTE",
    "SCOPE",
    "ServiceTelemetry",
    "Telemetry",
    "attach",
    "system_name",
    "telemetry_for",
]

#: The service instance attribute ``arguments._checked`` reads (``None``: not traced).
ATTRIBUTE = "_aace_telemetry"
#: The instrumentation scope of the tracer and the meter.
SCOPE = "aace"
#: Each counter and what it counts (its description).
COUNTERS = {
    CACHE_LOOKUPS: "cache lookups by outcome (aace.cache.outcome: hit, miss, fallback)",
    RETRIES: "tries repeated after a transient failure or a lost race (error.type)",
    THROTTLES: "requests the storage throttled (db.collection.name)",
    LOST_RACES: "optimistic writes that lost to a concurrent writer",
    IDEMPOTENT_REPLAYS: "creates answered by an earlier call with the same idempotency key",
}
#: The OTel ``db.system.name`` of each adapter (the memory adapter is no database product).
_SYSTEMS = {"dynamodb": "aws.dynamodb"}


def system_name(adapter: str) -> str:
    """The ``db.system.name`` of an adapter: ``sqlite``, ``postgresql``, ``aws.dynamodb``,
    ``memory``."""
    return _SYSTEMS.get(adapter, adapter)


def _ignore(_: BaseException | None) -> None:
    """Ends a storage request when only metrics are on."""


def _tenant(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str | None:
    """The tenant a call acts for (its context argument), as ``endpoint_id#part_id``."""
    actor = args[1] if len(args) > 1 else kwargs.get("context")
    if isinstance(actor, TenantContext):
        return str(actor.partition_key)
    if isinstance(actor, PlatformContext) and actor.tenant is not None:
        return str(actor.tenant)
    return None


class Telemetry:
    """The tracer, the meter's counters and the choices of one opened store."""

    def __init__(
        self, tracer: Tracer | None, meter: Meter | None, adapter: str, *, with_tenant: bool
    ) -> None:
        self.tracer = tracer
        self.adapter = system_name(adapter)
        self.with_tenant = with_tenant
        self.counters: dict[str, Counter] = {}
        if meter is not None:
            for name, description in COUNTERS.items():
                self.counters[name] = meter.create_counter(name, unit="1", description=description)

    def for_service(self, service: str) -> ServiceTelemetry:
        return ServiceTelemetry(self, service)


class ServiceTelemetry:
    """What one service's entry points use: the span names and the per-call observer."""

    def __init__(self, telemetry: Telemetry, service: str) -> None:
        self.telemetry = telemetry
        self.service = service
        self._names: dict[str, str] = {}

    def span_name(self, verb: str) -> str:
        name = self._names.get(verb)
        if name is None:
            name = self._names[verb] = f"aace.{self.service}.{verb}"
        return name

    async def call(
        self,
        method: Callable[..., Awaitable[Any]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """``method(*args, **kwargs)`` in its span, its storage requests observed. A call the
        service makes into itself (``super()``, another verb of its own) is part of the
        running call, not a span of its own; a call into another service is a child span."""
        running = OBSERVER.get()
        if isinstance(running, CallObserver) and running.service is self:
            return await method(*args, **kwargs)
        observer = CallObserver(self)
        tracer = self.telemetry.tracer
        if tracer is None:
            token = OBSERVER.set(observer)
            try:
                return await method(*args, **kwargs)
            finally:
                OBSERVER.reset(token)
        attributes = {"aace.adapter": self.telemetry.adapter}
        if self.telemetry.with_tenant:
            tenant = _tenant(args, kwargs)
            if tenant is not None:
                attributes["aace.tenant"] = tenant
        with tracer.start_as_current_span(
            self.span_name(method.__name__),
            attributes=attributes,
            record_exception=False,  # an exception's message is no attribute of ours
            set_status_on_exception=False,
        ) as span:
            token = OBSERVER.set(observer)
            try:
                return await method(*args, **kwargs)
            except BaseException as error:
                _failed(span, error)
                raise
            finally:
                OBSERVER.reset(token)
                span.set_attribute("aace.requests", observer.requests)
                span.set_attribute("aace.retries", observer.retries)


def _failed(span: Any, error: BaseException) -> None:
    """Mark ``span`` failed with the error's class (never its message)."""
    from opentelemetry.trace import Status, StatusCode

    kind = error_type(error)
    span.set_attribute("error.type", kind)
    span.set_status(Status(StatusCode.ERROR, kind))


class CallObserver:
    """The :class:`~aace.adapters.observing.Observer` of one service call: it counts the
    call's storage requests and retries, and opens their spans under the call's."""

    def __init__(self, service: ServiceTelemetry) -> None:
        self.service = service
        self.requests = 0
        self.retries = 0
        self._lock = threading.Lock()  # requests may run in worker threads at once

    def request(self, system: str, operation: str, tables: Sequence[str]) -> Finish:
        with self._lock:
            self.requests += 1
        tracer = self.service.telemetry.tracer
        if tracer is None:
            return _ignore
        from opentelemetry.trace import SpanKind

        attributes: dict[str, Any] = {"db.system.name": system, "db.operation.name": operation}
        name = operation
        if len(tables) == 1:
            attributes["db.collection.name"] = tables[0]
            name = f"{operation} {tables[0]}"
        elif tables and system == "aws.dynamodb":
            attributes["aws.dynamodb.table_names"] = list(tables)
        span = tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

        def finish(error: BaseException | None) -> None:
            if error is not None:
                _failed(span, error)
            span.end()

        return finish

    def count(self, metric: str, attributes: Mapping[str, str], amount: int = 1) -> None:
        if metric == RETRIES:
            with self._lock:
                self.retries += amount
        counter = self.service.telemetry.counters.get(metric)
        if counter is not None:
            labels = {
                **attributes,
                "aace.adapter": self.service.telemetry.adapter,
                "aace.service": self.service.service,
            }
            counter.add(amount, labels)


def _provider_set() -> tuple[Tracer | None, Meter | None]:
    """The tracer and meter of the providers the embedder set (``None`` for each left at
    the API's default), or nothing when ``opentelemetry-api`` is not installed."""
    try:
        from opentelemetry import metrics, trace
    except ImportError:
        return None, None
    tracer_provider = trace.get_tracer_provider()
    tracer = None
    if not isinstance(tracer_provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
        tracer = tracer_provider.get_tracer(SCOPE)
    meter_provider = metrics.get_meter_provider()
    meter = None
    default = isinstance(meter_provider, metrics.NoOpMeterProvider)
    if not default and type(meter_provider).__name__ != "_ProxyMeterProvider":
        meter = meter_provider.get_meter(SCOPE)
    return tracer, meter


def telemetry_for(settings: Settings, adapter: str) -> Telemetry | None:
    """The telemetry of a store opening now, or ``None`` (off: the setting says so, the API
    is not installed, or no provider is set)."""
    if settings.telemetry == "off":
        return None
    tracer, meter = _provider_set()
    if tracer is None and meter is None:
        return None
    return Telemetry(tracer, meter, adapter, with_tenant=settings.telemetry == "tenant")


def attach(services: Mapping[str, Any], telemetry: Telemetry | None) -> None:
    """Give each service (by its roster name) its telemetry; ``None`` leaves them untraced."""
    if telemetry is None:
        return
    for name, service in services.items():
        setattr(service, ATTRIBUTE, telemetry.for_service(name))
