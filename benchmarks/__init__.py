"""Benchmarks: each module here defines ``async def run(report: Report) -> None``.

``python -m benchmarks [name ...]`` runs them (all by default) and writes ``reports/bench.md``
and ``reports/bench.json``. Figures are ratios measured within one run, because these
machines are noisy; absolute times are printed only as context.
"""
