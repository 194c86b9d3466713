"""Fault injection through botocore's event hooks on the adapter's own client.

Faults happen at the edge of the real request path: ``before-send`` answers instead of the
server (throttling, errors), ``before-parameter-build`` holds back part of a batch before it
is sent and ``after-call`` reports exactly that part as unprocessed, as DynamoDB does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import anyio
import anyio.lowlevel
import attrs
from botocore.awsrequest import AWSResponse

__all__ = ["Faults", "SleepRecorder"]


@attrs.define
class _Body:
    data: bytes

    def stream(self) -> Iterator[bytes]:
        yield self.data


def json_response(url: str, body: dict[str, Any], status: int = 200) -> AWSResponse:
    headers = {"x-amzn-requestid": "injected", "content-type": "application/x-amz-json-1.0"}
    return AWSResponse(url, status, headers, _Body(json.dumps(body).encode()))


def error_response(url: str, code: str, status: int = 400) -> AWSResponse:
    body = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": "injected"}
    return json_response(url, body, status)


@attrs.define
class SleepRecorder:
    """Stands in for the adapter's wait between retries and remembers every delay."""

    delays: list[float] = attrs.field(factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.lowlevel.checkpoint()


@attrs.define
class Faults:
    """Hooks on one botocore client; counts every request of each operation."""

    client: Any
    lock: threading.Lock = attrs.field(factory=threading.Lock)
    sent: dict[str, int] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        self.client.meta.events.register("before-call.dynamodb.*", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.sent[model.name] = self.sent.get(model.name, 0) + 1

    def fail(self, operation: str, code: str, times: int, status: int = 400) -> None:
        """Answer the next ``times`` requests of ``operation`` with error ``code``."""
        left = [times]

        def answer(request: Any, **_: Any) -> AWSResponse | None:
            with self.lock:
                if left[0] <= 0:
                    return None
                left[0] -= 1
            return error_response(request.url, code, status)

        # First in line, so that nothing (not even an in-process mock) sees the request.
        self.client.meta.events.register_first(f"before-send.dynamodb.{operation}", answer)

    def cancel(
        self, reasons: list[dict[str, Any]], times: int, tokens: list[str] | None = None
    ) -> None:
        """Cancel the next ``times`` TransactWriteItems requests for ``reasons`` (one per
        action, as DynamoDB reports them); ``tokens`` collects their ClientRequestTokens."""
        left = [times]
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "message": "Transaction cancelled (injected)",
            "CancellationReasons": reasons,
        }

        def answer(request: Any, **_: Any) -> AWSResponse | None:
            with self.lock:
                if left[0] <= 0:
                    return None
                left[0] -= 1
                if tokens is not None:
                    tokens.append(json.loads(request.body)["ClientRequestToken"])
            return json_response(request.url, body, 400)

        self.client.meta.events.register_first("before-send.dynamodb.TransactWriteItems", answer)

    def answer(
        self,
        operation: str,
        body: dict[str, Any],
        requests: list[dict[str, Any]],
        *,
        errors: Sequence[str] = (),
    ) -> None:
        """Answer every request of ``operation`` with ``body`` (as if the server accepted
        it), except the first ones, answered with the error codes ``errors`` in turn.
        The parameters of the accepted requests are collected in ``requests``."""
        pending = list(errors)

        def answer(request: Any, **_: Any) -> AWSResponse:
            with self.lock:
                code = pending.pop(0) if pending else None
                if code is None:
                    requests.append(json.loads(request.body))
            if code is not None:
                return error_response(request.url, code)
            return json_response(request.url, body)

        self.client.meta.events.register_first(f"before-send.dynamodb.{operation}", answer)

    def hold_back(
        self,
        operation: str,
        rounds: int,
        split: Callable[[list[Any]], tuple[list[Any], list[Any]]],
        processed: list[Any],
    ) -> None:
        """For the first ``rounds`` requests of a batch ``operation``, send only part of each
        request and report the rest unprocessed. ``processed`` collects what was sent."""
        left = [rounds]
        requests, unprocessed = (
            ("Keys", "UnprocessedKeys")
            if operation == "BatchGetItem"
            else (None, "UnprocessedItems")
        )

        def before(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            ((table, body),) = params["RequestItems"].items()
            entries = body[requests] if requests else body
            with self.lock:
                hold = left[0] > 0
                left[0] -= 1
            kept, held = split(entries) if hold else (entries, [])
            if requests:
                body[requests] = kept
            else:
                params["RequestItems"][table] = kept
            context["held_back"] = (table, held)
            with self.lock:
                processed.extend(kept)

        def after(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            table, held = context.get("held_back", ("", []))
            if held:
                parsed[unprocessed] = {table: {requests: held} if requests else held}

        events = self.client.meta.events
        events.register(f"before-parameter-build.dynamodb.{operation}", before)
        events.register(f"after-call.dynamodb.{operation}", after)
