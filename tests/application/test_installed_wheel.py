"""A host application with its own ``application``, ``domain`` and ``adapters`` packages
embeds the package from an installed wheel (not from the checkout)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

HOST_APP = """
import asyncio
import importlib

# The host's own packages, imported first, under the names a careless package would take.
host_packages = [importlib.import_module(name) for name in ("application", "domain", "adapters")]

import aace
from aace import Aace, Settings, TenantContext

assert all(package.HOST for package in host_packages), "the host's packages came first"
settings = Settings(storage_url="sqlite:///host.db")
ctx = TenantContext.from_request("aws-prod-us-east-1", "acme-corp", updated_by="host")
data = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}


async def main() -> str:
    async with Aace.open(settings) as app:
        agent = await app.agents.create(ctx, data)
        return (await app.agents.get(ctx, agent.agent_version_uuid)).agent_version_uuid


created = asyncio.run(main())
with Aace.open_sync(settings) as app:
    assert app.agents.get(ctx, created).agent_name == "Support"
    app.agents.create(ctx, data)
    assert app.agents.count_active(ctx) == 2
print(aace.__file__)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package built as a wheel and installed (without dependencies) into a folder."""
    build = tmp_path_factory.mktemp("wheel")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(build), str(ROOT)],
        check=True,
    )
    (wheel,) = build.glob("aace_core-*.whl")
    target = tmp_path_factory.mktemp("site")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def test_the_wheel_holds_one_namespaced_package(installed: Path) -> None:
    top_level = {p.name for p in installed.iterdir() if not p.name.endswith(".dist-info")}
    assert top_level - {"bin"} == {"aace"}
    assert (installed / "aace" / "py.typed").exists()
    assert (installed / "aace" / "adapters" / "sql" / "migrations" / "env.py").exists()


def test_a_host_with_its_own_application_package_embeds_aace(
    installed: Path, tmp_path: Path
) -> None:
    host = tmp_path / "host"
    for package in ("application", "domain", "adapters"):
        (host / package).mkdir(parents=True)
        (host / package / "__init__.py").write_text("HOST = True\n")
    (host / "app.py").write_text(textwrap.dedent(HOST_APP))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(host), str(installed)])}
    result = subprocess.run(
        [sys.executable, str(host / "app.py")],
        cwd=host,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed), "aace came from the checkout"


#: What an embedder's type checker must see: exact types at the edge, async and blocking.
TYPED_CASES = """
from typing import assert_type

from aace import (
    Aace, BlockingAace, Health, HistoryEntry, Loaded, McpServerView, NotFound, Settings,
    TenantContext,
)
from aace.domain import Agent, Llm, Page, Thread


async def async_cases(app: Aace, ctx: TenantContext) -> None:
    assert_type(await app.agents.get(ctx, "v"), Agent)
    assert_type(await app.agents.get(ctx, "v", include=["llm"]), Loaded[Agent])
    assert_type(await app.agents.find(ctx, "v"), Agent | None)
    assert_type(await app.agents.active(ctx, "a"), Agent)
    assert_type(await app.agents.count_active(ctx), int)
    assert_type(await app.threads.list(ctx), Page[Thread])
    assert_type(await app.llms.get(ctx, "openai", "gpt-4o"), Llm)
    assert_type(await app.mcp_servers.get(ctx, "m"), McpServerView)
    assert_type(await app.threads.history(ctx, "t"), list[HistoryEntry])
    assert_type(await app.ping(), Health)


def blocking_cases(app: BlockingAace, ctx: TenantContext) -> None:
    assert_type(app.agents.get(ctx, "v"), Agent)
    assert_type(app.agents.get(ctx, "v", include=["llm"]), Loaded[Agent])
    assert_type(app.agents.count_active(ctx), int)
    assert_type(app.threads.list(ctx).items, list[Thread])
    assert_type(app.agents.list_active(ctx), Page[Agent])


with Aace.open_sync(Settings(storage_url="memory://")) as opened:
    assert_type(opened, BlockingAace)
assert_type(NotFound("x"), NotFound)
"""

#: Each line marked ``# error`` must be an error for the embedder's type checker.
MISTYPED_CASES = """
from aace import Aace, BlockingAace, TenantContext


async def async_cases(app: Aace, ctx: TenantContext) -> None:
    await app.agents.creat(ctx, {})  # error
    name: str = await app.agents.count_active(ctx)  # error
    await app.agents.get(ctx, 3)  # error
    await app.agents.update(ctx, 123, {"agent_name": "x"})  # error


def blocking_cases(app: BlockingAace, ctx: TenantContext) -> None:
    app.agents.creat(ctx, {})  # error
    name: str = app.agents.count_active(ctx)  # error
    app.agents.get(ctx, "v").no_such_field  # error
    app.threads.list(ctx, limit="50")  # error
    app.agents.update(ctx, "v", 456)  # error
"""


def test_an_embedders_type_checker_sees_exact_types(installed: Path, tmp_path: Path) -> None:
    """One mypy run over both probes, against the installed wheel (as an embedder sees it)."""
    (tmp_path / "typed_cases.py").write_text(TYPED_CASES)
    (tmp_path / "mistyped_cases.py").write_text(MISTYPED_CASES)
    mypy = ["mypy", "--strict", "--follow-imports=silent", "--no-incremental"]
    options = ["--show-error-codes", "--no-error-summary", "typed_cases.py", "mistyped_cases.py"]
    result = subprocess.run(
        [sys.executable, "-m", *mypy, *options],
        cwd=tmp_path,
        env={**os.environ, "MYPYPATH": str(installed)},
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert not [e for e in errors if e.startswith("typed_cases.py")], result.stdout
    expected = {
        number
        for number, line in enumerate(MISTYPED_CASES.splitlines(), start=1)
        if line.endswith("# error")
    }
    found = {int(e.split(":")[1]) for e in errors if e.startswith("mistyped_cases.py")}
    assert found == expected, result.stdout
