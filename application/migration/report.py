"""What a job did, per table and per tenant: the machine-readable report.

Counts are ``read`` (records the source gave), ``written`` (records the target now holds
from this job), ``skipped`` (nothing to do: the target already had that record or a newer
one, or an in-place backfill found it done) and ``failed`` (refused: each with its key and
reason). A segment's counts are saved with its checkpoint, so the report of a resumed job
is the report of the whole job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from aace.domain.errors import ValidationError

__all__ = ["COUNTS", "MAX_FAILURES_KEPT", "Report", "TableReport", "Tally"]

COUNTS = ("read", "written", "skipped", "failed")
#: Failures a segment keeps with their key and reason (the rest are counted).
MAX_FAILURES_KEPT = 1000
#: The tenant column of records whose tenant could not be told.
UNKNOWN_TENANT = "(unknown)"


@attrs.define
class Tally:
    read: int = 0
    written: int = 0
    skipped: int = 0
    failed: int = 0

    def add(self, other: Tally) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_list(self) -> list[int]:
        return [getattr(self, name) for name in COUNTS]

    @classmethod
    def of(cls, values: Iterable[int]) -> Tally:
        return cls(*values)

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in COUNTS}


@attrs.define
class TableReport:
    """One table's counts, in all and per tenant, and its failures."""

    name: str
    treatment: str
    target: str
    total: Tally = attrs.field(factory=Tally)
    tenants: dict[str, Tally] = attrs.field(factory=dict)
    failures: list[dict[str, Any]] = attrs.field(factory=list)
    failures_not_kept: int = 0

    def count(self, tenant: str | None, outcome: str, number: int = 1) -> None:
        tally = self.tenants.setdefault(tenant or UNKNOWN_TENANT, Tally())
        setattr(tally, outcome, getattr(tally, outcome) + number)
        setattr(self.total, outcome, getattr(self.total, outcome) + number)

    def fail(self, tenant: str | None, key: Mapping[str, Any], reason: str) -> None:
        self.count(tenant, "failed")
        if len(self.failures) < MAX_FAILURES_KEPT:
            self.failures.append({"key": dict(key), "tenant": tenant, "reason": reason})
        else:
            self.failures_not_kept += 1

    def merge(self, other: TableReport) -> None:
        self.total.add(other.total)
        for tenant, tally in other.tenants.items():
            self.tenants.setdefault(tenant, Tally()).add(tally)
        room = MAX_FAILURES_KEPT - len(self.failures)
        self.failures.extend(other.failures[:room])
        self.failures_not_kept += other.failures_not_kept + max(0, len(other.failures) - room)

    def saved(self) -> dict[str, Any]:
        """These counts as a state record holds them."""
        return {
            "tenants": {tenant: tally.as_list() for tenant, tally in self.tenants.items()},
            "failures": self.failures,
            "failures_not_kept": self.failures_not_kept,
        }

    @classmethod
    def restored(
        cls, name: str, treatment: str, target: str, saved: Mapping[str, Any]
    ) -> TableReport:
        """The counts a state record holds; one this tool did not write is ``ValidationError``
        on ``state``, never misread."""
        report = cls(name, treatment, target)
        try:
            for tenant, values in dict(saved.get("tenants", {})).items():
                tally = Tally.of(int(v) for v in values)
                report.tenants[str(tenant)] = tally
                report.total.add(tally)
            report.failures = [dict(f) for f in saved.get("failures", [])]
            report.failures_not_kept = int(saved.get("failures_not_kept", 0))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValidationError("state", f"the counts of {name} are not this tool's") from exc
        return report

    def as_dict(self) -> dict[str, Any]:
        return {
            "treatment": self.treatment,
            "target": self.target,
            **self.total.as_dict(),
            "tenants": {t: tally.as_dict() for t, tally in sorted(self.tenants.items())},
            "failures": self.failures,
            "failures_not_kept": self.failures_not_kept,
        }


@attrs.define
class Report:
    """A job's report: what ran, on what, and every table's :class:`TableReport`."""

    command: str
    job: str
    source: str
    target: str
    dry_run: bool = False
    tables: dict[str, TableReport] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)
    #: ``follow --until-converged`` and ``validate``: whether source and target agree.
    converged: bool | None = None
    #: When (epoch seconds) the command began and the job first wrote: its fixed start-up
    #: cost is the difference (imports, describing and creating tables, the write fences).
    timings: dict[str, float] = attrs.field(factory=dict)

    def table(self, name: str, treatment: str, target: str) -> TableReport:
        found = self.tables.get(name)
        if found is None:
            found = self.tables[name] = TableReport(name, treatment, target)
        return found

    @property
    def total(self) -> Tally:
        total = Tally()
        for table in self.tables.values():
            total.add(table.total)
        return total

    @property
    def ok(self) -> bool:
        return self.total.failed == 0 and self.converged is not False

    def as_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "job": self.job,
            "source": self.source,
            "target": self.target,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "converged": self.converged,
            "totals": self.total.as_dict(),
            "tables": {name: table.as_dict() for name, table in self.tables.items()},
            "notes": self.notes,
            **({"timings": self.timings} if self.timings else {}),
        }

    def mark(self, moment: str) -> None:
        """Note when ``moment`` first happened (epoch seconds)."""
        self.timings.setdefault(moment, time.time())

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), indent=2, sort_keys=False, default=str)
