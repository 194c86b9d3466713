"""Backends as optional extras: a missing driver is ``StorageMisconfigured`` naming the extra
to install, the ``aace`` command without its extra says so in one line, and opening an
existing SQLite store loads no other backend's driver (nor Alembic, which only creates).

A missing driver is simulated in a fresh interpreter whose ``sys.modules`` maps it to
``None`` (``import`` then fails as if it were not installed); no driver is mocked.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from aace import Aace, Settings
from tests.backends import TEST_SECRET

#: Modules none of which an embedder of SQLite alone should load.
NOT_FOR_SQLITE = {
    "aiosqlite",
    "alembic",
    "asyncpg",
    "boto3",
    "botocore",
    "pynamodb",
    "redis",
    "pydantic",
    "typer",
    "rich",
}

OPEN_AND_REPORT = """
import asyncio, json, sys
{block}
from aace import Aace, Settings, StorageMisconfigured

async def main() -> None:
    try:
        async with Aace.open(Settings(**{settings})):
            pass
    except StorageMisconfigured as error:
        print(json.dumps({{"message": str(error), "hint": error.hint}}))

asyncio.run(main())
"""


def _run(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _blocking(modules: list[str]) -> str:
    """Statements that make ``modules`` impossible to import, as if not installed."""
    return "\n".join(f"sys.modules[{name!r}] = None" for name in modules)


CLOSED = "127.0.0.1:1"
SQLITE = "sqlite:///{tmp}/a.db"
SECRET = {"cursor_secret": TEST_SECRET, "initialize": "off"}
DYNAMODB = {
    "storage_url": f"dynamodb://{CLOSED}?region=us-east-1",
    **SECRET,
    "store_options": {"aws_access_key_id": "test", "aws_secret_access_key": "test"},
}
MISSING_DRIVERS = [
    pytest.param("sqlite", ["sqlalchemy"], {"storage_url": SQLITE}, id="sqlalchemy"),
    pytest.param(
        "postgres",
        ["asyncpg"],
        {"storage_url": f"postgresql+asyncpg://aace@{CLOSED}/db", **SECRET},
        id="asyncpg",
    ),
    pytest.param(
        "postgres",
        ["sqlalchemy"],
        {"storage_url": f"postgresql://aace@{CLOSED}/db", **SECRET},
        id="postgres-sqlalchemy",
    ),
    pytest.param("dynamodb", ["pynamodb"], DYNAMODB, id="pynamodb"),
    pytest.param("dynamodb", ["botocore"], DYNAMODB, id="botocore"),
    pytest.param(
        "redis",
        ["redis"],
        {"storage_url": "memory://", "cache_url": f"redis://{CLOSED}/0"},
        id="redis",
    ),
]


@pytest.mark.parametrize(("extra", "blocked", "settings"), MISSING_DRIVERS)
def test_a_missing_driver_is_storage_misconfigured_naming_its_extra(
    tmp_path: Path, extra: str, blocked: list[str], settings: dict[str, object]
) -> None:
    given = repr(settings).replace("{tmp}", str(tmp_path))
    result = _run(OPEN_AND_REPORT.format(block=_blocking(blocked), settings=given), tmp_path)
    assert result.returncode == 0, result.stderr
    reported = json.loads(result.stdout)
    assert f"needs the {extra} extra of aace-core" in reported["message"]
    assert repr(blocked[0]) in reported["message"]
    assert reported["hint"] == f"pip install 'aace-core[{extra}]'"


def test_the_all_extra_is_every_extra_of_the_package() -> None:
    """Derived from pyproject.toml: a new extra (graphql, secrets, …) cannot be left out."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    (everything,) = extras["all"]
    named = re.fullmatch(r"aace-core\[(?P<names>[\w,-]+)\]", everything)
    assert named is not None, everything
    tooling = {"all", "test", "dev"}
    assert sorted(named["names"].split(",")) == sorted(set(extras) - tooling)


def test_the_sqlite_extra_holds_no_driver_the_store_does_not_use() -> None:
    """SQLite runs on the standard library's sqlite3: the extra names no aiosqlite (the
    probes below see that nothing loads it, creating included)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert not [r for r in extras["sqlite"] if r.startswith("aiosqlite")]


def test_the_aace_command_without_its_extra_prints_one_line_naming_it(tmp_path: Path) -> None:
    code = f"""
        import sys
        {_blocking(["typer"])}
        from aace.application.console import main
        main(["--help"])
    """
    result = _run(code, tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "aace: error: the aace command needs the cli extra of aace-core (module 'typer' is "
        "not installed); pip install 'aace-core[cli]'\n"
    )


def test_the_console_script_is_the_entry_module() -> None:
    (script,) = importlib.metadata.entry_points(group="console_scripts", name="aace")
    assert script.value == "aace.application.console:main"


def test_the_entry_module_runs_the_command_when_its_extra_is_installed(tmp_path: Path) -> None:
    result = _run("from aace.application.console import main; main(['--help'])", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Usage: aace" in result.stdout


LOADED_AFTER_OPENING = """
import asyncio, sys
from aace import Aace, Settings, TenantContext

async def main() -> None:
    settings = Settings(storage_url={url!r}, initialize={mode!r})
    async with Aace.open(settings) as app:
        context = TenantContext.from_request("aws-prod-us-east-1", "acme-corp", updated_by="me")
        await app.agents.list(context)
        assert (await app.ping()).ok

asyncio.run(main())
print("\\n".join(sorted(sys.modules)))
"""


def _top_level_loaded(url: str, mode: str, cwd: Path) -> set[str]:
    result = _run(LOADED_AFTER_OPENING.format(url=url, mode=mode), cwd)
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in result.stdout.split()}


@pytest.mark.parametrize("mode", ["verify", "off"])
def test_opening_an_existing_sqlite_store_loads_no_other_backend_and_no_alembic(
    tmp_path: Path, mode: str
) -> None:
    url = f"sqlite:///{tmp_path / 'existing.db'}"
    with Aace.open_sync(Settings(storage_url=url, initialize="create")):
        pass
    loaded = _top_level_loaded(url, mode, tmp_path)
    assert "sqlalchemy" in loaded  # SQLite runs on stdlib sqlite3 (adapters/sql/sqlite_driver)
    assert not loaded & NOT_FOR_SQLITE, sorted(loaded & NOT_FOR_SQLITE)


def test_creating_a_sqlite_store_is_what_loads_alembic(tmp_path: Path) -> None:
    """The probe above sees Alembic where it is used: creating runs the migrations."""
    loaded = _top_level_loaded(f"sqlite:///{tmp_path / 'new.db'}", "create", tmp_path)
    assert "alembic" in loaded
    assert not loaded & (NOT_FOR_SQLITE - {"alembic"})
