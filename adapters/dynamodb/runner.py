"""Runs PynamoDB's synchronous requests in a bounded worker pool, retrying transient errors.

The event loop never blocks: each request runs in a worker thread, and at most ``workers``
run at once (a capacity limiter; the botocore connection pool has the same size). Waiting
between retries happens on the event loop, so a backing-off request holds no worker.

Failures at the edge are final here: a missing or refused credential, or an endpoint that
still does not answer after :data:`CONNECTION_ATTEMPTS` tries, leaves the runner as a domain
error naming the endpoint (see :func:`translate_edge`); callers only ever see botocore's
``ClientError`` for requests the service itself refused.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection

from aace.adapters.dynamodb.errors import (
    CONNECTION_ATTEMPTS,
    is_connection_failure,
    is_transient,
    translate,
    translate_edge,
)
from aace.adapters.dynamodb.retry import Backoff
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.domain.errors import StorageUnavailable

__all__ = ["Runner", "run_concurrently"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

#: botocore must not retry on its own: this adapter owns retries (and their backoff).
_NO_BOTOCORE_RETRIES = {"total_max_attempts": 1, "mode": "standard"}
_BUSY_HINT = (
    "DynamoDB throttled or failed on every try: retry later, raise retry_attempts or "
    "retry_max_delay, or give the tables more capacity"
)
#: Operations PynamoDB does not know, whose requests take no ReturnConsumedCapacity.
_WITHOUT_CAPACITY = frozenset({"UpdateContinuousBackups", "DescribeContinuousBackups"})


def _first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error


async def run_concurrently(calls: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run ``calls`` at once; the first failure is raised as itself (not as a group)."""
    if len(calls) == 1:
        await calls[0]()
        return
    try:
        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(call)
    except BaseExceptionGroup as failures:
        raise _first_error(failures) from None


class Runner:
    """One PynamoDB connection (one botocore client) and the worker pool that drives it."""

    def __init__(self, settings: DynamoSettings) -> None:
        self.settings = settings
        self.connection = Connection(
            region=settings.region,
            host=settings.endpoint_url,
            connect_timeout_seconds=settings.connect_timeout,
            read_timeout_seconds=settings.read_timeout,
            max_pool_connections=settings.workers,
            retry_configuration=_NO_BOTOCORE_RETRIES,
            aws_access_key_id=settings.aws_access_key_id,
            aws_secret_access_key=settings.aws_secret_access_key,
            aws_session_token=settings.aws_session_token,
        )
        self.backoff = Backoff(
            settings.retry_base_delay, settings.retry_max_delay, settings.retry_attempts
        )
        #: How the adapter waits between retries (tests may record the delays).
        self.sleep: Sleep = anyio.sleep
        self._limiter: anyio.CapacityLimiter | None = None
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """The botocore client (created once; its event system accepts hooks)."""
        with self._client_lock:
            return self.connection.client

    async def in_worker(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking call in the bounded pool."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.workers)
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=self._limiter)

    def _dispatch(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        self.client  # noqa: B018 - created under the lock before the first request
        if operation in _WITHOUT_CAPACITY:
            # PynamoDB's dispatch would add ReturnConsumedCapacity, which these lack.
            plain: dict[str, Any] = self.connection._make_api_call(operation, kwargs)
            return plain
        result: dict[str, Any] = self.connection.dispatch(operation, kwargs)
        return result

    async def pause(self, attempt: int) -> None:
        """Wait before retry number ``attempt + 1``."""
        await self.sleep(self.backoff.delay(attempt))

    def _gives_up(self, exc: Exception, attempt: int, connection_failures: int) -> bool:
        if not is_transient(exc):
            return True
        if attempt + 1 >= self.backoff.attempts:
            return True
        return is_connection_failure(exc) and connection_failures >= CONNECTION_ATTEMPTS

    async def call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One request, retried with backoff while it fails transiently.

        Final client errors are re-raised as botocore's ``ClientError`` so that callers can
        read condition failures. Failures at the edge (credentials, an endpoint that does
        not answer) become ``StorageMisconfigured`` or ``StorageUnavailable`` naming the
        endpoint; exhausted retries become ``StorageUnavailable``.
        """
        attempt = connection_failures = 0
        while True:
            try:
                return await self.in_worker(self._dispatch, operation, dict(kwargs))
            except (ClientError, BotoCoreError) as exc:
                connection_failures += is_connection_failure(exc)
                if not self._gives_up(exc, attempt, connection_failures):
                    await self.pause(attempt)
                    attempt += 1
                    continue
                edge = translate_edge(exc, self.settings)
                if edge is not None:
                    raise edge from exc
                if not is_transient(exc):
                    raise
                error = translate(exc, table=str(kwargs.get("TableName", "")))
                raise StorageUnavailable(str(error), hint=_BUSY_HINT) from exc

    async def send(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Like :meth:`call`, with every final error translated into a domain error."""
        try:
            return await self.call(operation, kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, table=_tables(kwargs)) from exc


def _tables(kwargs: dict[str, Any]) -> str:
    if "TableName" in kwargs:
        return str(kwargs["TableName"])
    return ",".join(kwargs.get("RequestItems", {}))
