"""Import time of the package in fresh interpreters, against ``import sqlalchemy`` timed the
same way: each statement runs in a new process that times it with ``perf_counter``; the
statements alternate round by round (min and median of the rounds). Bytecode is compiled
first (as an installed wheel has it), so no round pays for compiling."""

from __future__ import annotations

import compileall
import os
import statistics
import subprocess
import sys
from pathlib import Path

import aace
from benchmarks.report import Report

ROUNDS = 9
BASELINE = "import sqlalchemy"
#: statement → (target ratio to the baseline, absolute target in ms or None)
SUBJECTS = {
    "import aace": (1 / 3, 150.0),
    "from aace import Aace, Settings, TenantContext": (0.6, None),
    "import aace.domain": (None, None),
    "from aace.domain import Agent, Page": (None, None),
}
PROBE = "import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def _seconds(statement: str) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(statement=statement)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        env=env,
    )
    return float(result.stdout)


def _modules_loaded(statement: str) -> int:
    probe = f"import sys; b = set(sys.modules); {statement}; print(len(set(sys.modules) - b))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    return int(result.stdout)


async def run(report: Report) -> None:
    assert aace.__file__ is not None  # a regular package, not a namespace one
    package = Path(aace.__file__).parent
    compileall.compile_dir(str(package.resolve().parent.parent), quiet=1)  # the checkout
    compileall.compile_dir(str(package), quiet=1)
    times: dict[str, list[float]] = {s: [] for s in [BASELINE, *SUBJECTS]}
    for _ in range(ROUNDS):
        for statement in times:
            times[statement].append(_seconds(statement))
    base_min, base_median = min(times[BASELINE]), statistics.median(times[BASELINE])
    report.add(
        "imports", BASELINE, base_min * 1e3, "ms", context=f"median {base_median * 1e3:.1f} ms"
    )
    for statement, (ratio_target, absolute) in SUBJECTS.items():
        best, median = min(times[statement]), statistics.median(times[statement])
        ratio = best / base_min
        met = None
        target = ""
        if ratio_target is not None:
            met = ratio <= ratio_target and (absolute is None or best * 1e3 <= absolute)
            target = f"<= {ratio_target:.2f}x" + (f" and <= {absolute:.0f} ms" if absolute else "")
        report.add(
            "imports",
            f"{statement} vs {BASELINE}",
            ratio,
            "x (min)",
            target=target,
            met=met,
            context=(
                f"{best * 1e3:.1f} ms min, {median * 1e3:.1f} ms median "
                f"(median ratio {median / base_median:.2f}x); "
                f"{_modules_loaded(statement)} modules loaded"
            ),
        )
