"""Failures at the edge: no credentials, no endpoint, refused credentials.

Each is told apart and named, with the endpoint, and none waits through the full retry
budget (counted in tries and recorded waits, never on the wall clock). Tests of the
no-credentials path switch off every credential source botocore knows, including the
instance metadata service (its traffic is forbidden here).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
    SSLError,
)

from aace.adapters.config import StoreConfig
from aace.adapters.dynamodb import DynamoStore
from aace.adapters.dynamodb.errors import is_connection_failure, is_transient
from aace.application.storage import build_store
from aace.domain.entities import AGENTS
from aace.domain.errors import StorageError, StorageMisconfigured, StorageUnavailable
from aace.domain.query import CursorCodec
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET
from tests.backends.dynamodb import REGION, fresh_prefix
from tests.dynamodb.conftest import OpenStore
from tests.dynamodb.faults import Faults, SleepRecorder

pytestmark = pytest.mark.anyio

_CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
)


@pytest.fixture
def no_aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credential source at all, and no instance metadata service to ask."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in _CREDENTIAL_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("BOTO_CONFIG", str(tmp_path / "no-boto-config"))


def free_port() -> int:
    """A loopback port with nothing listening on it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def plain_store(endpoint: str, **options: str) -> DynamoStore:
    """A store on ``endpoint`` with only the given options (no test credentials)."""
    url = f"dynamodb://{endpoint}?region={REGION}&table_prefix={fresh_prefix()}"
    store = build_store(StoreConfig(url, CursorCodec(TEST_SECRET), options=options))
    assert isinstance(store, DynamoStore)
    return store


def tries_of(store: DynamoStore) -> list[str]:
    """The operations the runner tries, one entry per try (PynamoDB replaces a client
    that has no credentials, so hooks on one client would not see every try)."""
    tries: list[str] = []
    dispatch = store.runner._dispatch

    def counted(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        tries.append(operation)
        return dispatch(operation, kwargs)

    store.runner._dispatch = counted  # type: ignore[method-assign]  # counts every try
    return tries


async def failure_of(store: DynamoStore) -> StorageError:
    """The error one read raises."""
    try:
        with pytest.raises((StorageMisconfigured, StorageUnavailable)) as caught:
            await store.repository(AGENTS).find(PartitionKey("ep", "edge"), ("k",))
    finally:
        await store.close()
    return caught.value


@pytest.mark.usefixtures("no_aws_credentials")
async def test_without_credentials_a_call_fails_at_once_saying_how_to_give_them(
    dynamodb_endpoint: str,
) -> None:
    if dynamodb_endpoint == "moto":
        pytest.skip("needs DynamoDB Local: moto intercepts requests before they are signed")
    store = plain_store(dynamodb_endpoint)
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    tries = tries_of(store)
    error = await failure_of(store)
    assert isinstance(error, StorageMisconfigured)
    assert str(error) == (
        f"no AWS credentials found for DynamoDB at http://{dynamodb_endpoint} "
        "(botocore: Unable to locate credentials)"
    )
    hint = error.hint or ""
    assert "DynamoDB Local accepts any credentials" in hint
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AACE_STORE_AWS_ACCESS_KEY_ID"):
        assert name in hint
    assert sleeps.delays == []  # not retried
    assert tries == ["GetItem"]  # tried once, failing before it was signed
    assert isinstance(error.__cause__, NoCredentialsError)


@pytest.mark.usefixtures("no_aws_credentials")
async def test_without_credentials_and_without_an_endpoint_the_credentials_are_named() -> None:
    port = free_port()
    store = plain_store(f"127.0.0.1:{port}")
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    tries = tries_of(store)
    error = await failure_of(store)
    assert isinstance(error, StorageMisconfigured)
    assert str(error).startswith(
        f"no AWS credentials found for DynamoDB at http://127.0.0.1:{port}"
    )
    assert (tries, sleeps.delays) == (["GetItem"], [])  # tried once, no wait


async def test_with_nothing_listening_a_call_fails_within_seconds_naming_host_and_port() -> None:
    port = free_port()
    store = plain_store(
        f"127.0.0.1:{port}", aws_access_key_id="local", aws_secret_access_key="local"
    )
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    faults = Faults(store.runner.client)
    policy = store.runner.retry_policy
    error = await failure_of(store)
    assert isinstance(error, StorageUnavailable)
    assert str(error) == (
        f"no DynamoDB endpoint answers at 127.0.0.1:{port}: "
        f'Could not connect to the endpoint URL: "http://127.0.0.1:{port}/"'
    )
    assert faults.sent == {"GetItem": 3}  # a few tries, not the whole retry budget
    assert len(sleeps.delays) == 2  # and only the policy's first, shortest waits
    assert all(d <= policy.ceiling(n) for n, d in enumerate(sleeps.delays)), sleeps.delays
    assert isinstance(error.__cause__, EndpointConnectionError)


async def test_connection_failures_get_three_tries_even_with_a_larger_retry_budget() -> None:
    store = plain_store(
        f"127.0.0.1:{free_port()}",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        retry_attempts="20",
    )
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    error = await failure_of(store)
    assert isinstance(error, StorageUnavailable)
    assert len(sleeps.delays) == 2


async def test_credentials_the_endpoint_refuses_are_misconfigured_and_no_secret_is_shown(
    dynamodb_endpoint: str,
) -> None:
    if dynamodb_endpoint == "moto":
        pytest.skip("needs DynamoDB Local: moto accepts any credentials")
    secret = "very-secret-value-1234"
    # DynamoDB Local accepts any access key id made of letters and digits only.
    store = plain_store(
        dynamodb_endpoint,
        aws_access_key_id="not-alphanumeric",
        aws_secret_access_key=secret,
        aws_session_token="session-token-5678",
    )
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    error = await failure_of(store)
    assert isinstance(error, StorageMisconfigured)
    assert str(error) == (
        f"DynamoDB at http://{dynamodb_endpoint} refused the credentials "
        "(UnrecognizedClientException: The Access Key ID or security token is invalid.)"
    )
    for text in (str(error), error.hint or ""):
        assert secret not in text
        assert "session-token-5678" not in text
    assert sleeps.delays == []


async def test_a_missing_table_without_verify_says_to_run_init(
    open_dynamo_store: OpenStore,
) -> None:
    store = await open_dynamo_store(initialize=False)
    with pytest.raises(StorageMisconfigured, match="a table is missing") as caught:
        await store.repository(AGENTS).find(PartitionKey("ep", "t"), ("k",))
    assert "aace init" in (caught.value.hint or "")


def test_only_network_failures_are_transient_and_connection_failures_are_bounded() -> None:
    url = "http://127.0.0.1:9/"
    network: list[Exception] = [
        EndpointConnectionError(endpoint_url=url),
        ConnectTimeoutError(endpoint_url=url),
        ReadTimeoutError(endpoint_url=url),
    ]
    final: list[Exception] = [
        NoCredentialsError(),
        PartialCredentialsError(provider="env", cred_var="AWS_SECRET_ACCESS_KEY"),
        ParamValidationError(report="bad"),
        SSLError(endpoint_url=url, error="wrong version number"),
    ]
    for exc in network:
        assert is_transient(exc), exc
        assert is_connection_failure(exc), exc
    for exc in final:
        assert not is_transient(exc), exc
        assert not is_connection_failure(exc), exc


async def test_throttling_keeps_the_full_retry_budget(open_dynamo_store: OpenStore) -> None:
    store = await open_dynamo_store(retry_attempts="6", retry_base_delay="0.001")
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    faults = Faults(store.runner.client)
    faults.fail("GetItem", "ThrottlingException", times=100)
    with pytest.raises(StorageUnavailable, match="ThrottlingException"):
        await store.repository(AGENTS).find(PartitionKey("ep", "t"), ("k",))
    assert faults.sent["GetItem"] == 6
    assert len(sleeps.delays) == 5


async def test_tls_towards_a_plain_http_endpoint_is_misconfigured_and_not_retried(
    dynamodb_endpoint: str,
) -> None:
    if dynamodb_endpoint == "moto":
        pytest.skip("needs DynamoDB Local: moto answers in-process")
    store = plain_store(
        dynamodb_endpoint, aws_access_key_id="local", aws_secret_access_key="local", tls="true"
    )
    sleeps = SleepRecorder()
    store.runner.sleep = sleeps
    error = await failure_of(store)
    assert isinstance(error, StorageMisconfigured)
    assert str(error).startswith(f"TLS with the DynamoDB endpoint at {dynamodb_endpoint} failed")
    assert "tls" in (error.hint or "")
    assert sleeps.delays == []
