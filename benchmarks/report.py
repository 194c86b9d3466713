"""The benchmark report: named figures, each a ratio or a count, with a target and context."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
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


@attrs.frozen
class Timing:
    """Seconds per call of a subject and its baseline, one entry per interleaved round."""

    subject: list[float]
    baseline: list[float]

    @property
    def ratio(self) -> float:
        """Median over median."""
        return statistics.median(self.subject) / statistics.median(self.baseline)

    @property
    def min_ratio(self) -> float:
        """Best round over best round (the least disturbed by the machine)."""
        return min(self.subject) / min(self.baseline)

    def describe(self, unit: str = "ms", scale: float = 1e3) -> str:
        """Both ratios and the times behind them, for a figure's context."""
        s, b = self.subject, self.baseline
        return (
            f"min {self.min_ratio:.2f}x; median {statistics.median(s) * scale:.2f} {unit} vs "
            f"{statistics.median(b) * scale:.2f} {unit}, min {min(s) * scale:.2f} {unit} vs "
            f"{min(b) * scale:.2f} {unit} per call"
        )


async def interleaved_timings(
    subject: Callable[[], Awaitable[Any]],
    baselines: Sequence[Callable[[], Awaitable[Any]]],
    *,
    repeat: int,
    rounds: int = 7,
) -> list[Timing]:
    """The subject and each baseline timed in alternating rounds of ``repeat`` calls (the
    baselines first, in order), so that machine noise hits them alike: one :class:`Timing`
    per baseline, all sharing the subject's rounds."""
    subject_times: list[float] = []
    timings = [Timing(subject_times, []) for _ in baselines]
    for _ in range(rounds):
        for baseline, timing in zip(baselines, timings, strict=True):
            timing.baseline.append(await time_per_call(baseline, repeat=repeat, rounds=1))
        subject_times.append(await time_per_call(subject, repeat=repeat, rounds=1))
    return timings


async def interleaved_timing(
    subject: Callable[[], Awaitable[Any]],
    baseline: Callable[[], Awaitable[Any]],
    *,
    repeat: int,
    rounds: int = 7,
) -> Timing:
    """The two timed in alternating rounds of ``repeat`` calls, so that machine noise hits
    both alike."""
    (timing,) = await interleaved_timings(subject, [baseline], repeat=repeat, rounds=rounds)
    return timing


async def interleaved_ratio(
    subject: Callable[[], Awaitable[Any]],
    baseline: Callable[[], Awaitable[Any]],
    *,
    repeat: int,
    rounds: int = 7,
) -> tuple[float, float, float]:
    """(subject / baseline, subject s/call, baseline s/call), medians of interleaved rounds."""
    timing = await interleaved_timing(subject, baseline, repeat=repeat, rounds=rounds)
    s, b = statistics.median(timing.subject), statistics.median(timing.baseline)
    return s / b, s, b
