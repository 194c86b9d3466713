"""One OpenTelemetry SDK per test process: the API lets a global provider be set once, so a
session fixture sets an in-memory span exporter and metric reader, and each test clears the
spans. Stores opened before it was set stay untraced (telemetry is decided at opening)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import attrs
import pytest
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aace import Aace, Settings
from tests.backends import ADAPTERS, settings_opener


@attrs.frozen
class Sdk:
    """The process's SDK: what was exported, and the counters' current totals."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def count(self, name: str, **attributes: Any) -> int:
        """The total of counter ``name`` over the points whose attributes include these."""
        data = self.reader.get_metrics_data()
        total = 0
        for resource in data.resource_metrics if data else ():
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name != name:
                        continue
                    for point in metric.data.data_points:
                        found = point.attributes or {}
                        if all(found.get(k) == v for k, v in attributes.items()):
                            assert isinstance(point, NumberDataPoint)  # a counter's point
                            total += int(point.value)
        return total

    def metric_attributes(self) -> list[dict[str, Any]]:
        data = self.reader.get_metrics_data()
        return [
            dict(point.attributes or {})
            for resource in (data.resource_metrics if data else ())
            for scope in resource.scope_metrics
            for metric in scope.metrics
            for point in metric.data.data_points
        ]


@pytest.fixture(scope="session")
def sdk_session() -> Sdk:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(tracer_provider)
    reader = InMemoryMetricReader()
    metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
    return Sdk(exporter, reader)


@pytest.fixture
def sdk(sdk_session: Sdk) -> Sdk:
    """The SDK, its exporter emptied before the test."""
    sdk_session.exporter.clear()
    return sdk_session


@pytest.fixture(params=ADAPTERS)
async def fresh(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings on a new namespace of each adapter's backend, created when opened."""
    async with settings_opener(request.param)(request) as settings:
        yield attrs.evolve(settings, initialize="create")


@pytest.fixture
async def app(sdk: Sdk, fresh: Settings) -> AsyncIterator[Aace]:
    """An app opened after the SDK is set: traced."""
    async with Aace.open(fresh) as opened:
        sdk.exporter.clear()  # what opening did
        yield opened
