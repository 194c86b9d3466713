"""The package's shape: a pure core importable alone, one name per module, one roster, and
generated code that follows the services."""

from __future__ import annotations

import ast
import importlib.metadata
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import aace.domain
import aace.domain.errors
from aace.application import blocking_codegen
from aace.application.roster import service_types

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: The distributions the domain may import (and what they import themselves).
DOMAIN_DEPENDENCIES = {"attrs", "cattrs"}


def _loaded_by(statement: str) -> set[str]:
    """The modules ``statement`` loads in a fresh interpreter (beyond the interpreter's own)."""
    probe = (
        "import sys; before = set(sys.modules)\n"
        f"{statement}\n"
        "print('\\n'.join(sorted(set(sys.modules) - before)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd="/"
    )
    return set(result.stdout.split())


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution_modules(names: set[str]) -> set[str]:
    """The top-level modules of these distributions and of what they require."""
    providers = importlib.metadata.packages_distributions()
    wanted = set(names)
    for name in names:
        for requirement in importlib.metadata.requires(name) or []:
            if "extra ==" not in requirement:
                wanted.add(_requirement_name(requirement))
    return {
        module
        for module, distributions in providers.items()
        if {_normal(d) for d in distributions} & wanted
    }


def _domain_modules() -> list[str]:
    found = ["aace.domain"]
    for module in pkgutil.walk_packages(aace.domain.__path__, "aace.domain."):
        found.append(module.name)
    return found


def test_import_aace_domain_loads_only_the_error_tree() -> None:
    loaded = {m for m in _loaded_by("import aace.domain") if m.startswith("aace")}
    assert loaded == {"aace", "aace.domain", "aace.domain.errors"}


@pytest.mark.parametrize("module", _domain_modules())
def test_a_domain_module_loads_nothing_but_the_standard_library_attrs_and_cattrs(
    module: str,
) -> None:
    loaded = _loaded_by(f"import {module}")
    assert not {m for m in loaded if m.startswith(("aace.adapters", "aace.application"))}
    allowed = set(sys.stdlib_module_names) | {"aace"} | _distribution_modules(DOMAIN_DEPENDENCIES)
    third_party = {m.split(".")[0] for m in loaded} - allowed
    assert not third_party, f"{module} loads {sorted(third_party)}"


def _requirement_name(requirement: str) -> str:
    return _normal(re.split(r"[ ;<>=!~\[]", requirement, maxsplit=1)[0])


def test_the_domain_contract_forbids_every_dependency_but_attrs_and_cattrs() -> None:
    """Derived from pyproject.toml: a new dependency or extra cannot be forgotten."""
    project = PYPROJECT["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements += extra
    distributions = {_requirement_name(r) for r in requirements} - {"aace-core"}
    providers = importlib.metadata.packages_distributions()
    expected: set[str] = set()
    for distribution in distributions - DOMAIN_DEPENDENCIES:
        modules = {
            module
            for module, names in providers.items()
            if distribution in {_normal(n) for n in names}
            and module.isidentifier()
            and not module.startswith("_")
            and "__" not in module
        }
        expected |= modules or {distribution.replace("-", "_")}
    (contract,) = [
        c
        for c in PYPROJECT["tool"]["importlinter"]["contracts"]
        if c["source_modules"] == ["aace.domain"] and "attrs" not in c["forbidden_modules"]
        and "sqlalchemy" in c["forbidden_modules"]
    ]  # fmt: skip
    missing = expected - set(contract["forbidden_modules"])
    assert not missing, f"add {sorted(missing)} to the domain contract in pyproject.toml"


def _python_sources() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py", "*.md"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if (ROOT / name).exists()]


TOP_LEVEL_IMPORT = re.compile(r"^\s*(?:from|import)\s+(?:domain|adapters|application)\b", re.M)


def test_nothing_imports_the_checkouts_top_level_folders() -> None:
    """``import domain`` would be a second copy of every module (and of every error class)."""
    offenders = [str(p.relative_to(ROOT)) for p in _python_sources() if TOP_LEVEL_IMPORT.search(
        p.read_text()
    )]  # fmt: skip
    assert not offenders


def test_the_top_level_folders_refuse_to_be_imported_by_their_own_name() -> None:
    for name in ("domain", "adapters", "application"):
        result = subprocess.run(
            [sys.executable, "-c", f"import {name}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode != 0
        assert f"import aace.{name}, not {name}" in result.stderr


def test_each_service_class_is_named_in_one_module_of_the_application() -> None:
    """Outside ``application/services/``, the roster is the one module naming a service."""
    modules = [
        path
        for path in (ROOT / "application").rglob("*.py")
        if "services" not in path.relative_to(ROOT / "application").parts[:-1]
    ]
    for service in service_types().values():
        pattern = re.compile(rf"\b{service.__name__}\b")
        naming = [str(p.relative_to(ROOT)) for p in modules if pattern.search(p.read_text())]
        assert naming == ["application/roster.py"], (service.__name__, naming)


def test_the_blocking_classes_are_generated_from_the_current_services() -> None:
    assert blocking_codegen.TARGET.read_text() == blocking_codegen.generate(), (
        "run: python -m aace.application.blocking_codegen"
    )


def _static_imports(path: Path) -> list[tuple[str, str]]:
    """(name, module) of the ``from … import`` statements under ``if TYPE_CHECKING:``."""
    found: list[tuple[str, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom)
                found += [(a.asname or a.name, str(statement.module)) for a in statement.names]
    return found


def test_the_lazy_names_of_aace_are_the_names_a_type_checker_sees() -> None:
    import aace

    static = dict(_static_imports(ROOT / "src" / "aace" / "__init__.py"))
    assert static == aace._LAZY
    assert set(aace.__all__) == set(static) | set(aace.domain.errors.__all__)


def test_the_lazy_names_of_aace_domain_are_the_names_a_type_checker_sees() -> None:
    static = _static_imports(ROOT / "domain" / "__init__.py")
    wildcards = {module for name, module in static if name == "*"}
    chosen = {name: module for name, module in static if name != "*"}
    assert wildcards == set(aace.domain._WHOLE)
    assert chosen == aace.domain._WHERE
