"""The operator's commands as an operator types them: exit codes, reports, messages."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aace.application.cli import main
from aace.application.settings import Settings
from tests.migration.conftest import Legacy, in_place_target
from tests.migration.test_resume import settings_file


def aace(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plan_run_validate_and_follow_from_the_command_line(
    legacy: Legacy,
    copy_target: Callable[[], Settings],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    source = settings_file(tmp_path / "legacy.toml", legacy.settings)
    target = settings_file(tmp_path / "target.toml", copy_target())
    code, out, err = aace(
        capsys, "migrate", "plan", "--from", source, "--to", target, "--report", "-"
    )
    assert code == 0, err
    plan = json.loads(out)
    agents = next(t for t in plan["tables"] if t["table"] == "agents")
    assert agents["action"] == "copy, re-keyed on partition_key"
    assert (agents["records_estimated"], agents["tenants"]) == (9, 3)
    assert agents["stream"] == "NEW_AND_OLD_IMAGES"

    report_path = tmp_path / "run.json"
    code, _, err = aace(
        capsys, "migrate", "run", "--from", source, "--to", target, "--report", str(report_path)
    )
    assert code == 0, err
    report = json.loads(report_path.read_text())
    assert report["ok"]
    assert report["totals"]["written"] == legacy.data.count
    assert "agents" in err  # the summary table

    code, out, err = aace(
        capsys, "migrate", "validate", "--from", source, "--to", target, "--full"
    )
    assert code == 0, err
    code, out, err = aace(
        capsys,
        "migrate",
        "follow",
        "--from",
        source,
        "--to",
        target,
        "--until-converged",
        "--timeout",
        "60",
        "--report",
        "-",
    )
    assert code == 0, err
    assert json.loads(out)["converged"] is True


def test_refusals_and_bad_options_exit_non_zero_with_one_line(
    legacy: Legacy, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = settings_file(tmp_path / "legacy.toml", legacy.settings)
    code, _, err = aace(capsys, "migrate", "plan", "--from", source, "--to", source)
    assert code == 1
    assert "REFUSED: " in err
    code, _, err = aace(capsys, "migrate", "run", "--from", source, "--to", source)
    assert code == 2
    assert err.startswith("aace: error: to: agents: ")
    code, _, err = aace(
        capsys, "migrate", "run", "--from", source, "--to", source, "--worker", "3"
    )
    assert (code, err.splitlines()[0]) == (
        2,
        "aace: error: worker: must be I/K, as 2/4, got '3'; "
        "correct that setting or option and run it again",
    )
    code, _, err = aace(capsys, "migrate", "run", "--from", "sqlite:///x.db", "--to", source)
    assert code == 2
    assert "from: the legacy layout is read from DynamoDB" in err
    code, _, err = aace(
        capsys,
        "migrate",
        "run",
        "--from",
        source,
        "--to",
        source,
        "--report",
        "/no/such/dir/r.json",
    )
    assert code == 2
    assert err.startswith("aace: error: report: cannot write /no/such/dir/r.json")
    target = settings_file(tmp_path / "in_place.toml", in_place_target(legacy))
    code, _, err = aace(capsys, "tenant", "delete", "no-separator", "--storage", target)
    assert code == 2
    assert "partition_key: must contain exactly one '#'" in err
