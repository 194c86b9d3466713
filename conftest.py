"""Runs every Python block of README.md and docs/ as a test, as written (sybil).

Blocks of one document share a namespace and run in order, in a scratch folder of their
own (so ``sqlite:///aace.db`` lands there). A block that is deliberately partial is
preceded by ``<!-- skip: next "why" -->`` and reported as skipped, with that reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser


def _enter_scratch_folder(namespace: dict[str, Any]) -> None:
    # As in a file run as a script: what blocks define belongs to __main__ (Litestar looks up
    # a handler's module by its __module__).
    namespace["__name__"] = "__main__"
    namespace["__docs_home__"] = os.getcwd()
    namespace["__docs_folder__"] = tempfile.mkdtemp(prefix="aace-docs-")
    os.chdir(namespace["__docs_folder__"])


def _leave_scratch_folder(namespace: dict[str, Any]) -> None:
    os.chdir(namespace["__docs_home__"])
    shutil.rmtree(namespace["__docs_folder__"], ignore_errors=True)


pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(), SkipParser()],
    patterns=["README.md", "docs/*.md", "docs/**/*.md"],
    setup=_enter_scratch_folder,
    teardown=_leave_scratch_folder,
).pytest()
