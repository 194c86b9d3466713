"""What telemetry costs a service call: ``agents.get`` on the memory store (no I/O, so the
call's own overhead shows), in fresh interpreters, since a provider is set once per process:

- no provider (telemetry decided off at opening): the per-call cost of the decision, i.e.
  the attribute read and ``is None`` test ``arguments._checked`` adds, timed alone; and the
  whole entry-point wrapper (argument checks included) against the bare method, an upper
  bound;
- an SDK tracer and meter provider set (spans recorded, exported to a sink that drops them):
  the call with its span against the same call with ``Settings(telemetry=False)``.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import timeit
from typing import Any

from benchmarks.report import Report

CALLS = 20_000
REPEATS = 7
ROUNDS = 3
TARGET_SECONDS = 0.5e-6
AGENT = {"agent_name": "Agent", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def _per_call(**calls: Any) -> dict[str, float]:
    """Per-call seconds of each of ``calls``: the fastest of :data:`REPEATS` runs of
    :data:`CALLS` awaits, the calls taking turns run by run (so load hits them alike)."""
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(REPEATS):
        for name, call in calls.items():
            started = time.perf_counter()
            for _ in range(CALLS):
                await call()
            best[name] = min(best[name], (time.perf_counter() - started) / CALLS)
    return best


async def _measure(provider: bool) -> dict[str, float]:
    """Per-call seconds of ``agents.get`` with telemetry on (traced when a provider is set)
    and off, of the bare method, and of the decision alone."""
    from aace import Aace, PartitionKey, Settings, TenantContext

    if provider:
        _set_sdk()
    ctx = TenantContext(PartitionKey("ep", "bench"), updated_by="bench")
    async with (
        Aace.open(Settings(storage_url="memory://")) as on,
        Aace.open(Settings(storage_url="memory://", telemetry=False)) as off,
    ):
        key_on = (await on.agents.create(ctx, AGENT)).agent_version_uuid
        key_off = (await off.agents.create(ctx, AGENT)).agent_version_uuid
        bare: Any = getattr(type(off.agents).get, "__wrapped__")  # noqa: B009
        found = await _per_call(
            wrapped_on=lambda: on.agents.get(ctx, key_on),
            wrapped_off=lambda: off.agents.get(ctx, key_off),
            bare=lambda: bare(off.agents, ctx, key_off),
        )
        check = "t = s._aace_telemetry\nif t is None: pass"
        runs = timeit.repeat(check, globals={"s": on.agents}, number=CALLS, repeat=REPEATS)
        found["decision"] = min(runs) / CALLS
        found["traced"] = float(getattr(on.agents, "_aace_telemetry") is not None)  # noqa: B009
    return found


def _set_sdk() -> None:
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

    class Sink(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            return SpanExportResult.SUCCESS

    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Sink()))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider())


def _child(provider: bool) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.telemetry", "provider" if provider else "none"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


async def run(report: Report) -> None:
    rounds: dict[bool, list[dict[str, float]]] = {False: [], True: []}
    for _ in range(ROUNDS):
        for provider in (False, True):
            rounds[provider].append(_child(provider))

    def best(provider: bool, name: str) -> float:
        return min(figures[name] for figures in rounds[provider])

    decision = best(False, "decision")
    report.add(
        "telemetry",
        "no provider: the telemetry decision per service call",
        decision * 1e6,
        "µs",
        target="<= 0.5 µs",
        met=decision <= TARGET_SECONDS and best(False, "traced") == 0,
        context=f"the attribute read and None test _checked adds ({CALLS} calls, min)",
    )
    wrapper = best(False, "wrapped_on") - best(False, "bare")
    report.add(
        "telemetry",
        "no provider: the whole entry-point wrapper per call (upper bound)",
        wrapper * 1e6,
        "µs",
        context=(
            f"agents.get on memory {best(False, 'wrapped_on') * 1e6:.2f} µs vs the bare "
            f"method {best(False, 'bare') * 1e6:.2f} µs (argument checks included)"
        ),
    )
    traced = best(True, "wrapped_on") - best(True, "wrapped_off")
    report.add(
        "telemetry",
        "SDK provider set: a traced call's extra cost",
        traced * 1e6,
        "µs",
        context=(
            f"agents.get on memory {best(True, 'wrapped_on') * 1e6:.2f} µs with its span vs "
            f"{best(True, 'wrapped_off') * 1e6:.2f} µs with telemetry off (SDK, spans dropped)"
        ),
    )


if __name__ == "__main__":
    print(json.dumps(asyncio.run(_measure(sys.argv[1] == "provider"))))
