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
