"""Crashes and restarts of ``aace migrate run`` processes on DynamoDB Local: a job killed with
SIGKILL anywhere and resumed ends exactly as a clean run; two workers share the segments.
(A job stopped by a failure after N writes: ``test_rules.py``, from the memory source.)"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest

from aace.application.migration.legacy import run
from aace.application.settings import Settings
from tests.migration.conftest import PATHS, Legacy, fence, options
from tests.migration.stores import contents, expected_contents

pytestmark = pytest.mark.anyio

KILLED = 4
#: Seconds after which a job is taken for hung (a run here takes a few).
HANG_GUARD = 300


def settings_file(path: Path, settings: Settings) -> str:
    lines = [f"storage_url = {json.dumps(settings.storage_url)}", "[store_options]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.store_options.items()]
    lines.append("[table_names]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.table_names.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def aace(*args: str) -> list[str]:
    return [sys.executable, "-c", "from aace.application.cli import main; main()", *args]


def _checkpoints(client: Any, settings: Settings) -> int:
    prefix = settings.storage_url.split("table_prefix=")[1]
    try:
        items = client.scan(TableName=f"{prefix}aace-migration_state")["Items"]
    except client.exceptions.ResourceNotFoundException:
        return 0
    return sum(1 for item in items if item["item"]["S"].startswith("segment/"))


def _kill_after(command: list[str], client: Any, target: Settings, checkpoints: int) -> None:
    """Start the job, SIGKILL it once it has saved ``checkpoints`` segment checkpoints (the
    job's own progress, polled). The deadline only guards against a hung job: it asserts
    nothing on speed."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    hang_guard = time.monotonic() + HANG_GUARD
    while _checkpoints(client, target) < checkpoints and process.poll() is None:
        if time.monotonic() > hang_guard:
            process.kill()
            pytest.fail(f"the job saved no {checkpoints} checkpoints in {HANG_GUARD} s: hung")
        time.sleep(0.05)
    assert process.poll() is None, process.communicate()
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def _both(commands: list[list[str]]) -> list[dict[str, Any]]:
    """Run the commands at once; their JSON reports."""
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for command in commands
    ]
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()
        reports.append(json.loads(out))
    return reports


@pytest.mark.parametrize("path", PATHS)
async def test_runs_killed_with_sigkill_and_resumed_end_as_a_clean_run(
    legacy: Legacy, client: Any, copy_target: Callable[[], Settings], tmp_path: Path, path: str
) -> None:
    expected = expected_contents(legacy.data)
    source = settings_file(tmp_path / "source.toml", legacy.settings)
    draw = random.Random(7)
    for attempt in range(KILLED):
        target = copy_target()
        await fence(target, path)
        destination = settings_file(tmp_path / f"target{attempt}.toml", target)
        command = aace(
            "migrate",
            "run",
            "--from",
            source,
            "--to",
            destination,
            "--segments",
            "2",
            "--page-size",
            "5",
            "--max-wcu",
            "60",
        )
        wanted = draw.randrange(2, 12)
        await anyio.to_thread.run_sync(_kill_after, command, client, target, wanted)
        report = await run(legacy.settings, target, options(resume=True))
        assert report.ok, attempt
        assert await contents(target) == expected, attempt


async def test_two_workers_share_the_segments(
    legacy: Legacy, copy_target: Callable[[], Settings], tmp_path: Path
) -> None:
    target = copy_target()
    source = settings_file(tmp_path / "source.toml", legacy.settings)
    destination = settings_file(tmp_path / "target.toml", target)
    commands = [
        aace(
            "migrate",
            "run",
            "--from",
            source,
            "--to",
            destination,
            "--segments",
            "4",
            "--page-size",
            "5",
            "--worker",
            f"{number}/2",
            "--report",
            "-",
        )
        for number in (1, 2)
    ]
    reports = await anyio.to_thread.run_sync(_both, commands)
    assert sum(r["totals"]["read"] for r in reports) == legacy.data.count
    assert all(r["totals"]["read"] > 0 for r in reports)
    assert await contents(target) == expected_contents(legacy.data)
