"""Runs PynamoDB's synchronous requests in a bounded worker pool, retrying transient errors.

The event loop never blocks: each request runs in a worker thread, and at most ``workers``
run at once (a capacity limiter; the botocore connection pool has the same size). Retries
follow the store's :class:`RetryPolicy` and wait on the event loop, so a backing-off request
holds no worker.

Failures at the edge are final here: a missing or refused credential, or an endpoint that
still does not answer after :data:`CONNECTION_ATTEMPTS` tries, leaves the runner as a domain
error naming the endpoint (see :func:`translate_edge`); callers only ever see botocore's
``ClientError`` for requests the service itself refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.connection import Connection

from aace.adapters import retrying
from aace.adapters.dynamodb.errors import (
    CONNECTION_ATTEMPTS,
    error_code,
    is_connection_failure,
    is_transient,
    translate,
    translate_edge,
)
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.adapters.observing import THROTTLES, report, request_started
from aace.adapters.retrying import Sleep
from aace.adapters.scheduling import SOLE_BLOCKING_CALLER, fanning_out
from aace.domain.errors import StorageUnavailable, first_error
from aace.domain.retry import RetryPolicy

__all__ = ["Runner", "run_concurrently"]

T = TypeVar("T")
log = logging.getLogger(__name__)
#: The ``db.system.name`` of the requests this runner sends.
SYSTEM = "aws.dynamodb"
#: Error codes of a request DynamoDB refused for want of capacity (or request rate).
THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "LimitExceededException",
    }
)

#: botocore must not retry on its own: this adapter owns retries (and their backoff).
_NO_BOTOCORE_RETRIES = {"total_max_attempts": 1, "mode": "standard"}
_BUSY_HINT = (
    "DynamoDB throttled or failed on every try: retry later, raise retry_attempts or "
    "retry_max_delay, or give the tables more capacity"
)
#: Operations PynamoDB does not know, whose requests take no ReturnConsumedCapacity: sent
#: through the botocore client's own method for each (its public API), not PynamoDB's.
_WITHOUT_CAPACITY = {
    "UpdateContinuousBackups": "update_continuous_backups",
    "DescribeContinuousBackups": "describe_continuous_backups",
}


async def run_concurrently(calls: Sequence[Callable[[], Coroutine[Any, Any, None]]]) -> None:
    """Run ``calls`` at once; the first failure is raised as itself (not as a group)."""
    if len(calls) == 1:
        await calls[0]()
        return
    try:
        with fanning_out():
            async with anyio.create_task_group() as group:
                for call in calls:
                    group.start_soon(call)
    except BaseExceptionGroup as failures:
        raise first_error(failures) from None


def _request_retry_rule(operation: str, kwargs: dict[str, Any]) -> Callable[[BaseException], bool]:
    """Whether one request is tried again after ``error``: while it fails transiently, but
    after :data:`CONNECTION_ATTEMPTS` failed connections no more (one rule per request).
    A throttled try is logged (WARNING, naming the tables) and counted."""
    connection_failures = 0

    def retry_on(error: BaseException) -> bool:
        nonlocal connection_failures
        if not isinstance(error, Exception) or not is_transient(error):
            return False
        if isinstance(error, ClientError) and error_code(error) in THROTTLING_CODES:
            tables = ",".join(table_names(kwargs))
            fields = {"db.operation.name": operation, "db.collection.name": tables}
            report(
                log,
                logging.WARNING,
                f"DynamoDB throttled {operation} on {tables}",
                THROTTLES,
                fields,
            )
        if is_connection_failure(error):
            connection_failures += 1
            return connection_failures < CONNECTION_ATTEMPTS
        return True

    return retry_on


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
        self.retry_policy = RetryPolicy(
            attempts=settings.retry_attempts,
            base_delay=settings.retry_base_delay,
            max_delay=settings.retry_max_delay,
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
        """Run a blocking call in the bounded pool, or inline when the call comes from the
        only blocking caller of this loop (:data:`SOLE_BLOCKING_CALLER`): it would wait for
        the worker anyway, and the thread hop would cost it about a millisecond."""
        if SOLE_BLOCKING_CALLER.get():
            return function(*args)
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.workers)
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=self._limiter)

    def _dispatch(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One try of one request (a client span when a service call is traced)."""
        finish = request_started(SYSTEM, operation, table_names(kwargs))
        try:
            result = self._send(operation, kwargs)
        except BaseException as error:
            finish(error)
            raise
        finish(None)
        return result

    def _send(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        client = self.client  # created under the lock before the first request
        method = _WITHOUT_CAPACITY.get(operation)
        if method is not None:
            # PynamoDB's dispatch would add ReturnConsumedCapacity, which these lack.
            plain: dict[str, Any] = getattr(client, method)(**kwargs)
            return plain
        request = dict(kwargs)  # a copy per try: PynamoDB adds to the request it sends
        result: dict[str, Any] = self.connection.dispatch(operation, request)
        return result

    async def retry(
        self,
        retry_on: Callable[[BaseException], bool],
        function: Callable[..., Awaitable[T]],
        *args: Any,
        sleep: Sleep | None = None,
    ) -> T:
        """``function(*args)`` retried as :attr:`retry_policy` says while ``retry_on``
        holds, waiting with :attr:`sleep` (read now, so that a recorder set after
        construction sees the waits) unless told otherwise; see :func:`retrying.call`."""
        return await retrying.call(
            self.retry_policy, retry_on, function, *args, sleep=sleep or self.sleep
        )

    async def call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """One request, retried with backoff while it fails transiently.

        Final client errors are re-raised as botocore's ``ClientError`` so that callers can
        read condition failures. Failures at the edge (credentials, an endpoint that does
        not answer) become ``StorageMisconfigured`` or ``StorageUnavailable`` naming the
        endpoint; exhausted retries become ``StorageUnavailable``.
        """
        try:
            result: dict[str, Any] = await self.retry(
                _request_retry_rule(operation, kwargs),
                self.in_worker,
                self._dispatch,
                operation,
                kwargs,
            )
        except (ClientError, BotoCoreError) as exc:
            edge = translate_edge(exc, self.settings)
            if edge is not None:
                raise edge from exc
            if not is_transient(exc):
                raise
            error = translate(exc, table=str(kwargs.get("TableName", "")))
            raise StorageUnavailable(str(error), hint=_BUSY_HINT) from exc
        return result

    async def send(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Like :meth:`call`, with every final error translated into a domain error."""
        try:
            return await self.call(operation, kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, table=_tables(kwargs)) from exc


def table_names(kwargs: dict[str, Any]) -> tuple[str, ...]:
    """The tables a request names: its ``TableName``, its ``RequestItems``' keys, or those
    of its transaction's items."""
    if "TableName" in kwargs:
        return (str(kwargs["TableName"]),)
    if "RequestItems" in kwargs:
        return tuple(kwargs["RequestItems"])
    names: dict[str, None] = {}
    for item in kwargs.get("TransactItems", ()):
        for action in item.values():
            if isinstance(action, dict) and "TableName" in action:
                names[str(action["TableName"])] = None
    return tuple(names)


def _tables(kwargs: dict[str, Any]) -> str:
    if "TableName" in kwargs:
        return str(kwargs["TableName"])
    return ",".join(kwargs.get("RequestItems", {}))
