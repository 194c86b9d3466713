"""``aace.contrib`` is the integrations' one name: ``aace.application.contrib`` refuses to
load, every module has its stub for type checkers, and both hold in an installed wheel."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import aace.contrib
from tests.application.test_installed_wheel import installed

__all__ = ["installed"]  # the module-scoped fixture: the wheel, built and installed once

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import sys
from typing import Any, assert_type

import aace.contrib.aws_lambda
from aace import Aace
from aace.contrib.aws_lambda import LambdaHandler, LambdaRequest, claims_tenant, handler


@handler(tenant=claims_tenant())
async def agents(request: LambdaRequest[Aace]) -> Any:
    return await request.app.agents.count(request.tenant)


assert_type(agents, LambdaHandler)
if __name__ == "__main__":
    print(aace.contrib.aws_lambda.__file__)
    print(sorted(name for name in sys.modules if ".contrib" in name))
"""


def _run(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_the_folder_refuses_its_second_name() -> None:
    result = _run("-c", "import aace.application.contrib")
    assert result.returncode != 0
    assert "import aace.contrib, not aace.application.contrib" in result.stderr
    loaded = _run("-c", "import sys, aace.contrib.aws_lambda; print(sorted(sys.modules))")
    names = loaded.stdout.split("'")
    assert "aace.contrib.aws_lambda" in names
    assert not [name for name in names if name.startswith("aace.application.contrib")]


def test_every_module_has_its_stub() -> None:
    folder = Path(aace.contrib.__path__[0])
    assert folder.resolve() == (ROOT / "application" / "contrib").resolve()
    modules = {info.name for info in pkgutil.iter_modules(aace.contrib.__path__)}
    stubs = {path.stem for path in (ROOT / "src" / "aace" / "contrib").glob("*.pyi")}
    assert modules == stubs
    assert {"fastapi", "starlette", "litestar", "aws_lambda"} <= modules


def test_the_installed_wheel_imports_and_types_the_integrations(
    installed: Path, tmp_path: Path
) -> None:
    (tmp_path / "probe.py").write_text(textwrap.dedent(PROBE))
    env = {**os.environ, "PYTHONPATH": str(installed)}
    ran = _run("probe.py", cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    path, names = ran.stdout.splitlines()
    assert Path(path).is_relative_to(installed / "aace" / "application" / "contrib")
    assert "aace.application.contrib" not in names
    checked = _run(
        "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental", "probe.py",
        cwd=tmp_path, env={**os.environ, "MYPYPATH": str(installed)},
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout
