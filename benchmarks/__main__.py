"""Run the benchmark modules and write the report (see ``benchmarks/__init__.py``)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
from pathlib import Path

import benchmarks
from benchmarks.report import Report

SKIP = {"report", "backends"}


async def main(names: list[str]) -> None:
    modules = names or sorted(
        m.name
        for m in pkgutil.iter_modules(benchmarks.__path__)
        if m.name not in SKIP and not m.name.startswith("_")
    )
    report = Report()
    for name in modules:
        print(f"== {name}")
        module = importlib.import_module(f"benchmarks.{name}")
        await module.run(report)
    report.write(Path("reports"))
    print("wrote reports/bench.md")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
