"""The benchmark report: named figures, each a ratio or a count, with a target and context."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import attrs


@attrs.define
class Figure:
    section: str
    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    context: str = ""


@attrs.define
class Report:
    figures: list[Figure] = attrs.field(factory=list)

    def add(
        self,
        section: str,
        name: str,
        value: float,
        unit: str,
        *,
        target: str = "",
        met: bool | None = None,
        context: str = "",
    ) -> None:
        figure = Figure(section, name, value, unit, target, met, context)
        self.figures.append(figure)
        verdict = "" if met is None else (" (met)" if met else " (NOT met)")
        print(f"[{section}] {name}: {value:.3g} {unit} {target}{verdict} {context}".rstrip())

    def write(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "bench.json").write_text(
            json.dumps([attrs.asdict(f) for f in self.figures], indent=2)
        )
        lines = ["# Benchmark report", "", "| section | figure | value | target | met | context |"]
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for f in self.figures:
            met = "" if f.met is None else ("yes" if f.met else "no")
            lines.append(
                f"| {f.section} | {f.name} | {f.value:.3g} {f.unit} | {f.target} | {met} "
                f"| {f.context} |"
            )
        (folder / "bench.md").write_text("\n".join(lines) + "\n")


async def time_per_call(
    operation: Callable[[], Awaitable[Any]], *, repeat: int, rounds: int = 5
) -> float:
    """Median over ``rounds`` of the mean seconds per call of ``operation`` (``repeat`` calls)."""
    results = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            await operation()
        results.append((time.perf_counter() - start) / repeat)
    return statistics.median(results)


async def interleaved_ratio(
    subject: Callable[[], Awaitable[Any]],
    baseline: Callable[[], Awaitable[Any]],
    *,
    repeat: int,
    rounds: int = 7,
) -> tuple[float, float, float]:
    """(subject / baseline, subject s/call, baseline s/call), the two timed in alternating
    rounds so that machine noise hits both alike."""
    subject_times, baseline_times = [], []
    for _ in range(rounds):
        baseline_times.append(await time_per_call(baseline, repeat=repeat, rounds=1))
        subject_times.append(await time_per_call(subject, repeat=repeat, rounds=1))
    s, b = statistics.median(subject_times), statistics.median(baseline_times)
    return s / b, s, b
