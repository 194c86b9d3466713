"""The operator's commands: ``aace migrate plan|run|follow|validate``, ``aace copy`` and
``aace tenant delete``. Each prints a summary, writes its JSON report where ``--report``
says (``-`` for standard output), and exits 1 when anything failed or did not agree."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from aace.application.migration.bulk import BulkOptions
from aace.application.migration.endpoints import endpoint_settings
from aace.application.migration.progress import TableProgress
from aace.application.migration.report import COUNTS
from aace.domain.errors import ValidationError
from aace.domain.tenancy import PartitionKey

__all__ = ["copy_command", "migrate_app", "tenant_app"]

T = TypeVar("T")

migrate_app = typer.Typer(
    help="Move the legacy endpoint_id tables into the partition_key layout.",
    no_args_is_help=True,
)
tenant_app = typer.Typer(help="Whole-tenant operations.", no_args_is_help=True)

From = Annotated[
    str, typer.Option("--from", help="source: a storage URL or a settings file (.toml)")
]
To = Annotated[str, typer.Option("--to", help="target: a storage URL or a settings file (.toml)")]
Tables = Annotated[
    list[str] | None, typer.Option("--table", help="only this legacy table (repeatable)")
]
Job = Annotated[str, typer.Option(help="the job's name: its checkpoints are kept under it")]
Segments = Annotated[int, typer.Option(help="parallel scan segments per table")]
Worker = Annotated[str, typer.Option(help="I/K: this process is worker I of K sharing segments")]
Resume = Annotated[bool, typer.Option("--resume", help="continue the job from its checkpoints")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="write nothing, not even checkpoints")]
MaxWcu = Annotated[
    float | None, typer.Option("--max-wcu", help="write capacity units per second, all workers")
]
ReportPath = Annotated[
    str | None, typer.Option("--report", help="write the JSON report here ('-': stdout)")
]
PageSize = Annotated[int, typer.Option(help="records per scan page (a checkpoint per page)")]
Concurrency = Annotated[int, typer.Option(help="writes in flight per segment")]


def _run(work: Awaitable[T]) -> T:
    return asyncio.run(work)  # type: ignore[arg-type]


def _worker(value: str) -> tuple[int, int]:
    parts = value.split("/")
    if len(parts) != 2 or not all(p.strip().isdigit() for p in parts):
        raise ValidationError("worker", f"must be I/K, as 2/4, got {value!r}")
    return int(parts[0]), int(parts[1])


def _options(
    job: str,
    segments: int,
    worker: str,
    resume: bool,
    dry_run: bool,
    max_wcu: float | None,
    page_size: int,
    concurrency: int,
) -> BulkOptions:
    number, workers = _worker(worker)
    return BulkOptions(
        job=job,
        segments=segments,
        worker=number,
        workers=workers,
        resume=resume,
        dry_run=dry_run,
        max_wcu=max_wcu,
        page_size=page_size,
        concurrency=concurrency,
    )


def _writable(path: str | None) -> None:
    """Refuse a report path that cannot be written, before a long job runs."""
    if not path or path == "-":
        return
    target = Path(path)
    if target.is_dir() or not target.parent.is_dir() or not os.access(target.parent, os.W_OK):
        raise ValidationError("report", f"cannot write {path}: give a file in a writable folder")


def _emit(report: dict[str, Any], path: str | None, summary: Callable[[], None]) -> None:
    """The summary on stderr, the JSON report where asked; exit 1 unless it is ok."""
    summary()
    text = json.dumps(report, indent=2, default=str)
    if path == "-":
        sys.stdout.write(text + "\n")
    elif path:
        Path(path).write_text(text + "\n")
    if not report.get("ok", True):
        raise typer.Exit(1)


def _emit_counts(result: Any, path: str | None, columns: tuple[str, ...] = COUNTS) -> None:
    """A bulk job's report: its counts per table as the summary."""
    document = result.as_dict()
    _emit(document, path, lambda: _table_lines(document["tables"], columns))


def _table_lines(tables: dict[str, dict[str, Any]], columns: tuple[str, ...]) -> None:
    width = max((len(name) for name in tables), default=5)
    print(f"{'table':<{width}}  " + "  ".join(f"{c:>9}" for c in columns), file=sys.stderr)
    for name, table in tables.items():
        cells = "  ".join(f"{table.get(c, '')!s:>9}" for c in columns)
        print(f"{name:<{width}}  {cells}", file=sys.stderr)


@migrate_app.command("plan")
def plan_command(
    source: From,
    target: To,
    table: Tables = None,
    max_wcu: MaxWcu = None,
    report: ReportPath = None,
) -> None:
    """Per table: what run would do, records (estimated), tenants, stream, refusals, and
    what the copy costs (requests, write units, minutes at --max-wcu)."""
    _writable(report)
    from aace.application.migration.legacy import plan

    plans = _run(
        plan(
            endpoint_settings(source, "from"),
            endpoint_settings(target, "to"),
            table or (),
            max_wcu=max_wcu,
        )
    )
    document = {
        "command": "plan",
        "ok": not any(p.refused for p in plans),
        "tables": [p.as_dict() for p in plans],
    }

    def summary() -> None:
        for p in plans:
            line = f"{p.table.name}: {p.action} -> {p.target}; ~{p.records} records"
            if p.tenants is not None:
                line += f", {p.tenants} tenants"
            if p.estimate is not None:
                e = p.estimate
                line += f"; {e.write_requests} write requests, {e.write_units} WCU"
                if e.minutes is not None:
                    line += f", ~{e.minutes:.1f} min at {max_wcu:g} WCU/s"
            print(line, file=sys.stderr)
            for note in (p.refused and f"REFUSED: {p.refused}", *p.notes):
                if note:
                    print(f"  {note}", file=sys.stderr)

    _emit(document, report, summary)


@migrate_app.command("run")
def run_command(
    source: From,
    target: To,
    table: Tables = None,
    job: Job = "migrate",
    segments: Segments = 4,
    worker: Worker = "1/1",
    resume: Resume = False,
    dry_run: DryRun = False,
    max_wcu: MaxWcu = None,
    report: ReportPath = None,
    page_size: PageSize = 100,
    concurrency: Concurrency = 16,
    without_stream: Annotated[
        bool,
        typer.Option(
            "--without-stream",
            help="run tables without a stream (no follow: nothing may write to them meanwhile)",
        ),
    ] = False,
) -> None:
    """Copy and backfill the legacy tables into the new layout, checkpointed per segment."""
    from aace.application.migration.legacy import run

    _writable(report)
    options = _options(job, segments, worker, resume, dry_run, max_wcu, page_size, concurrency)
    with TableProgress() as progress:
        result = _run(
            run(
                endpoint_settings(source, "from"),
                endpoint_settings(target, "to"),
                options,
                table or (),
                progress=progress,
                without_stream=without_stream,
            )
        )
    _emit_counts(result, report)


@migrate_app.command("follow")
def follow_command(
    source: From,
    target: To,
    table: Tables = None,
    job: Job = "migrate",
    once: Annotated[bool, typer.Option("--once", help="one pass over the streams")] = False,
    until_converged: Annotated[
        bool, typer.Option("--until-converged", help="stop when drained and counts agree")
    ] = False,
    timeout: Annotated[float | None, typer.Option(help="give up after this many seconds")] = None,
    report: ReportPath = None,
) -> None:
    """Replay the legacy tables' streams onto the target (newer wins, deletes kept)."""
    _writable(report)
    from aace.application.migration.follow import FollowOptions, follow

    options = FollowOptions(job=job, once=once, until_converged=until_converged, timeout=timeout)
    result = _run(
        follow(
            endpoint_settings(source, "from"),
            endpoint_settings(target, "to"),
            options,
            table or (),
        )
    )
    document = result.as_dict()

    def summary() -> None:
        _table_lines(document["tables"], ("read", "written", "skipped", "failed"))
        for note in result.notes:
            print(note, file=sys.stderr)

    _emit(document, report, summary)


@migrate_app.command("validate")
def validate_command(
    source: From,
    target: To,
    table: Tables = None,
    full: Annotated[bool, typer.Option("--full", help="compare every record")] = False,
    sample: Annotated[int, typer.Option(help="records compared per table")] = 1000,
    report: ReportPath = None,
) -> None:
    """Counts per table and tenant, tenant attrs, and records compared attribute by attribute."""
    _writable(report)
    from aace.application.migration.validate import validate

    result = _run(
        validate(
            endpoint_settings(source, "from"),
            endpoint_settings(target, "to"),
            table or (),
            full=full,
            sample=sample,
        )
    )
    document = result.as_dict()

    def summary() -> None:
        _table_lines(document["tables"], ("source", "target", "compared", "ok"))
        for name, check in document["tables"].items():
            for problem in check["problems"]:
                print(f"{name} {problem['key']}: {problem['reason']}", file=sys.stderr)

    _emit(document, report, summary)


def copy_command(
    source: From,
    target: To,
    tenant: Annotated[str | None, typer.Option(help="only this tenant: ENDPOINT#PART")] = None,
    job: Annotated[
        str | None, typer.Option(help="the job's name (default: copy, or copy/TENANT)")
    ] = None,
    segments: Segments = 1,
    worker: Worker = "1/1",
    resume: Resume = False,
    dry_run: DryRun = False,
    max_wcu: MaxWcu = None,
    report: ReportPath = None,
    page_size: PageSize = 100,
    concurrency: Concurrency = 16,
) -> None:
    """Copy one tenant or everything between two stores in the new layout."""
    _writable(report)
    from aace.application.migration.copy import copy_store

    only = PartitionKey.parse(tenant) if tenant is not None else None
    name = job or ("copy" if only is None else f"copy/{only}")
    options = _options(name, segments, worker, resume, dry_run, max_wcu, page_size, concurrency)
    with TableProgress() as progress:
        result = _run(
            copy_store(
                endpoint_settings(source, "from"),
                endpoint_settings(target, "to"),
                options,
                tenant=only,
                progress=progress,
            )
        )
    _emit_counts(result, report)


@tenant_app.command("delete")
def tenant_delete_command(
    tenant: Annotated[str, typer.Argument(help="ENDPOINT#PART")],
    storage: Annotated[str, typer.Option("--storage", help="a storage URL or a settings file")],
    job: Annotated[
        str | None, typer.Option(help="the job's name (default: delete/TENANT)")
    ] = None,
    resume: Resume = False,
    dry_run: DryRun = False,
    max_wcu: MaxWcu = None,
    report: ReportPath = None,
) -> None:
    """Remove every record of one tenant from every table (resumable; --dry-run counts)."""
    _writable(report)
    from aace.application.migration.copy import delete_tenant

    key = PartitionKey.parse(tenant)
    options = _options(job or f"delete/{key}", 1, "1/1", resume, dry_run, max_wcu, 100, 16)
    with TableProgress() as progress:
        result = _run(
            delete_tenant(endpoint_settings(storage, "storage"), key, options, progress=progress)
        )
    _emit_counts(result, report, ("read", "written", "failed"))
