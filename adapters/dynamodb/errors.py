"""Botocore errors translated into the package's own errors (no driver type escapes).

Three kinds of failure at the edge are told apart, each with its own domain error:

- nothing answers at the endpoint (refused or timed-out connections, connections closed
  mid-request): ``StorageUnavailable`` naming ``host:port`` and botocore's reason;
  retried, but only a few times (:data:`CONNECTION_ATTEMPTS`);
- no usable credentials on this side (none found, partial, unreadable profile) or
  credentials the service rejects: ``StorageMisconfigured``, never retried;
- throttling and server-side failures: retried with the full backoff budget, then
  ``StorageUnavailable``.
"""

from __future__ import annotations

from typing import Any

from botocore import exceptions as boto
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.settings import DynamoSettings
from aace.domain.errors import (
    AaceError,
    StorageError,
    StorageMisconfigured,
    StorageUnavailable,
    TooLarge,
)

__all__ = [
    "CONNECTION_ATTEMPTS",
    "CREDENTIAL_CODES",
    "TRANSIENT_CODES",
    "TableLayoutMismatch",
    "error_code",
    "error_message",
    "is_connection_failure",
    "is_transient",
    "response_of",
    "translate",
    "translate_edge",
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
        "LimitExceededException",  # DynamoDB Streams' throttling
    }
)

#: Error codes of credentials the service refused (or of identities it does not let in).
CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "IncompleteSignatureException",
        "SignatureDoesNotMatch",
        "AccessDeniedException",
        "AccessDenied",
        "ExpiredTokenException",
        "ExpiredToken",
        "InvalidClientTokenId",
        "MissingAuthenticationToken",
        "MissingAuthenticationTokenException",
        "UnauthorizedOperation",
        "AuthFailure",
    }
)

#: The most tries of one request while nothing answers at the endpoint (throttling and
#: server errors keep the full ``retry_attempts`` budget).
CONNECTION_ATTEMPTS = 3

#: Failures on the way to the endpoint and back: nothing was (or may have been) answered.
_NETWORK = (boto.ConnectionError, boto.HTTPClientError, boto.IncompleteReadError)
#: A failure that no retry cures although it happens on the connection.
_FINAL_NETWORK = (boto.SSLError,)
#: Credentials that cannot be found, read or refreshed on this side.
_CREDENTIALS = (
    boto.NoCredentialsError,
    boto.PartialCredentialsError,
    boto.CredentialRetrievalError,
    boto.UnknownCredentialError,
    boto.RefreshWithMFAUnsupportedError,
    boto.NoAuthTokenError,
    boto.TokenRetrievalError,
    boto.SSOError,
    boto.MetadataRetrievalError,
)
#: Client configuration that cannot work (profile, config file, region, endpoint).
_CONFIGURATION = (
    boto.ProfileNotFound,
    boto.ConfigNotFound,
    boto.ConfigParseError,
    boto.InvalidConfigError,
    boto.BaseEndpointResolverError,
    boto.EndpointProviderError,
    boto.InvalidEndpointConfigurationError,
    boto.UnknownRegionError,
    boto.InvalidRegionError,
)

_ITEM_COLLECTION_LIMIT = "item collection size (10 GB per partition key value with local indexes)"
_LOCAL_CREDENTIALS_HINT = (
    "DynamoDB Local accepts any credentials whose access key id is letters and digits: "
    "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any values, e.g. `local`), or the "
    "store options aws_access_key_id / aws_secret_access_key (AACE_STORE_AWS_ACCESS_KEY_ID, "
    "AACE_STORE_AWS_SECRET_ACCESS_KEY). On AWS, give the process credentials in the usual "
    "way (environment, shared config or credentials file, task or instance role)"
)
_REJECTED_HINT = (
    "check the AWS credentials (access key id, secret access key, session token) and the "
    "IAM permissions of the identity they belong to. DynamoDB Local accepts any credentials "
    "whose access key id is letters and digits only"
)


class TableLayoutMismatch(StorageMisconfigured):
    """An existing table's keys or indexes differ from the layout; nothing was changed."""

    hint = (
        "the table was left as it is: migrate it to the layout (see docs/dynamodb.md), or "
        "point the store at other tables (table_prefix, table names)"
    )


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
    """Throttling, server-side failures and lost connections: retried with backoff.

    Every other botocore error (no credentials, invalid parameters, bad configuration,
    TLS failures) is final: retrying cannot change its outcome.
    """
    if isinstance(exc, ClientError):
        return error_code(exc) in TRANSIENT_CODES or _status(exc) >= 500
    return is_connection_failure(exc)


def is_connection_failure(exc: Exception) -> bool:
    """Nothing (or nothing whole) came back from the endpoint: retried a few times only."""
    return isinstance(exc, _NETWORK) and not isinstance(exc, _FINAL_NETWORK)


def error_message(exc: ClientError) -> str:
    return str(response_of(exc).get("Error", {}).get("Message", ""))


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def translate_edge(exc: Exception, settings: DynamoSettings) -> AaceError | None:
    """The domain error of a failure at the edge (transport, credentials, configuration),
    naming the endpoint; ``None`` for anything else (a request the service refused)."""
    where, address = settings.endpoint, settings.address
    if isinstance(exc, ClientError):
        code = error_code(exc)
        if code not in CREDENTIAL_CODES:
            return None
        reason = _redact(f"{code}: {error_message(exc)}", settings.secrets)
        verb = "denied access" if code.startswith("AccessDenied") else "refused the credentials"
        return StorageMisconfigured(f"DynamoDB at {where} {verb} ({reason})", hint=_REJECTED_HINT)
    if not isinstance(exc, BotoCoreError):
        return None
    reason = _redact(str(exc), settings.secrets)
    if isinstance(exc, boto.NoCredentialsError):
        return StorageMisconfigured(
            f"no AWS credentials found for DynamoDB at {where} (botocore: {reason})",
            hint=_LOCAL_CREDENTIALS_HINT,
        )
    if isinstance(exc, _CREDENTIALS):
        return StorageMisconfigured(
            f"the AWS credentials for DynamoDB at {where} cannot be used (botocore: {reason})",
            hint=_LOCAL_CREDENTIALS_HINT,
        )
    if isinstance(exc, boto.SSLError):
        return StorageMisconfigured(
            f"TLS with the DynamoDB endpoint at {address} failed: {reason}",
            hint="check the `tls` option: DynamoDB Local speaks plain HTTP",
        )
    if isinstance(exc, boto.ConnectionError):
        return StorageUnavailable(f"no DynamoDB endpoint answers at {address}: {reason}")
    if isinstance(exc, _NETWORK):
        return StorageUnavailable(
            f"the DynamoDB endpoint at {address} stopped answering: {reason}"
        )
    if isinstance(exc, _CONFIGURATION):
        return StorageMisconfigured(
            f"the DynamoDB client for {where} is misconfigured (botocore: {reason})"
        )
    return StorageError(f"DynamoDB at {where}: botocore refused the request: {reason}")


def translate(exc: Exception, *, table: str = "") -> AaceError:
    """The domain error for a final (non-retried) backend failure."""
    if isinstance(exc, AaceError):
        return exc
    if not isinstance(exc, ClientError):
        # Runner.call turns every botocore failure at the edge into a domain error naming
        # the endpoint (translate_edge); what reaches here is anything else.
        return StorageError(f"DynamoDB request failed: {exc}")
    code, message = error_code(exc), error_message(exc)
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
        return StorageMisconfigured(
            f"a table is missing{where}: {message}; run `aace init` to create the tables",
            hint="create the tables with `aace init` (or `store.initialize()`)",
        )
    if code in TRANSIENT_CODES or _status(exc) >= 500:
        return StorageUnavailable(f"DynamoDB kept failing{where}: {code}: {message}")
    return StorageError(f"DynamoDB refused the request{where}: {code}: {message}")
