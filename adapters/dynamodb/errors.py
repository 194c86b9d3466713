"""Botocore errors translated into the package's own errors (no driver type escapes)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from aace.domain.errors import AaceError, StorageError, StorageUnavailable, TooLarge

__all__ = [
    "TRANSIENT_CODES",
    "TableLayoutMismatch",
    "error_code",
    "is_transient",
    "response_of",
    "translate",
]

#: Error codes worth retrying with backoff; anything else is final.
TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "InternalServerError",
        "InternalFailure",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)

_ITEM_COLLECTION_LIMIT = "item collection size (10 GB per partition key value with local indexes)"


class TableLayoutMismatch(StorageError):
    """An existing table's keys or indexes differ from the layout; nothing was changed."""


def response_of(exc: ClientError) -> dict[str, Any]:
    """The full error response (PynamoDB wraps botocore's error and drops some of it)."""
    cause = exc.__cause__
    if isinstance(cause, ClientError):
        return dict(cause.response)
    return dict(exc.response)


def error_code(exc: ClientError) -> str:
    return str(response_of(exc).get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(response_of(exc).get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_transient(exc: Exception) -> bool:
    """Throttling, server-side failures and lost connections: retried with backoff."""
    if isinstance(exc, ClientError):
        return error_code(exc) in TRANSIENT_CODES or _status(exc) >= 500
    return isinstance(exc, BotoCoreError)


def _message(exc: ClientError) -> str:
    return str(response_of(exc).get("Error", {}).get("Message", ""))


def translate(exc: Exception, *, table: str = "") -> AaceError:
    """The domain error for a final (non-retried) backend failure."""
    if isinstance(exc, AaceError):
        return exc
    if not isinstance(exc, ClientError):
        return StorageUnavailable(f"DynamoDB could not be reached: {exc}")
    code, message = error_code(exc), _message(exc)
    where = f" ({table})" if table else ""
    if code == "ItemCollectionSizeLimitExceededException":
        return TooLarge(
            "partition_key",
            f"the tenant's records{where} passed the {_ITEM_COLLECTION_LIMIT}",
            limit=_ITEM_COLLECTION_LIMIT,
        )
    if code == "ValidationException":
        lowered = message.lower()
        if "item size" in lowered:
            return TooLarge("item", f"{message}{where}", limit="item size")
        if "primary key values must be under" in lowered or "key size" in lowered:
            return TooLarge("key", f"{message}{where}", limit="key size")
        if "size limit exceeded" in lowered:
            return TooLarge(
                "key", f"an index key is too large{where}: {message}", limit="key size"
            )
        if "transaction" in lowered and "size" in lowered:
            return TooLarge("unit_of_work", f"{message}{where}", limit="transaction size")
    if code == "ResourceNotFoundException":
        return StorageError(f"a table is missing{where}: run the bootstrap (initialize) first")
    if code in TRANSIENT_CODES or _status(exc) >= 500:
        return StorageUnavailable(f"DynamoDB kept failing{where}: {code}: {message}")
    return StorageError(f"DynamoDB refused the request{where}: {code}: {message}")
