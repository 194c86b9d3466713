"""A live display of a job's progress: one bar per table, on a terminal only."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["TableProgress"]


class TableProgress:
    """Counts the records read per table; shows nothing when stderr is not a terminal (CI,
    a log file), where the report says it all at the end."""

    def __init__(self) -> None:
        console = Console(file=sys.stderr)
        self.display = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, TaskID] = {}

    def advance(self, table: str, records: int) -> None:
        task = self.tasks.get(table)
        if task is None:
            task = self.tasks[table] = self.display.add_task(table, total=None)
        self.display.advance(task, records)

    def __enter__(self) -> TableProgress:
        self.display.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.display.stop()
