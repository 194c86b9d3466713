"""The package's neutral error tree.

Every error a caller can see derives from :class:`AaceError`. Adapters translate driver
exceptions into these (``raise ... from exc``), so no driver type ever escapes the package.
"""

from __future__ import annotations

__all__ = [
    "AaceError",
    "ConditionFailed",
    "Conflict",
    "Forbidden",
    "HasDependents",
    "IdempotencyConflict",
    "InvalidCursor",
    "InvalidPartitionKey",
    "LimitExceeded",
    "NotFound",
    "StorageError",
    "StorageMisconfigured",
    "StorageUnavailable",
    "TooLarge",
    "TransactionTooLarge",
    "ValidationError",
    "first_error",
]


class AaceError(Exception):
    """Root of every error the package raises on purpose.

    ``hint`` says what a person can do about it, where the package knows (the ``aace``
    command prints it after the message). A class may set a default; ``hint=`` overrides
    it for one error.
    """

    hint: str | None = None

    def __init__(self, *args: object, hint: str | None = None) -> None:
        super().__init__(*args)
        if hint is not None:
            self.hint = hint


class ValidationError(AaceError, ValueError):
    """Input broke a rule; ``field`` names the offending field (dotted path for nesting)."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}", hint=hint)


class InvalidPartitionKey(ValidationError):
    """A tenant component or a partition-key text broke a rule of behaviour §1."""


class TooLarge(ValidationError):
    """A record or a key exceeds a storage limit; ``limit`` says which one."""

    def __init__(self, field: str, message: str, *, limit: str) -> None:
        self.limit = limit
        super().__init__(field, message)


class InvalidCursor(AaceError):
    """A pagination cursor is malformed, tampered with, or issued for another scope."""


class NotFound(AaceError):
    """The record does not exist for this tenant (a foreign record looks exactly the same)."""


class Conflict(AaceError):
    """A create met an existing record with the same key."""


class ConditionFailed(Conflict):
    """A write's precondition on the record's current state was false."""


class IdempotencyConflict(Conflict):
    """An idempotency key was reused with a different input."""


class Forbidden(AaceError):
    """The actor may not make this write: a tenant context writing a platform registry
    (only a ``PlatformContext`` does). Nothing is written."""


class LimitExceeded(AaceError):
    """A per-tenant limit would be passed by this write."""


class HasDependents(AaceError):
    """A delete was refused because dependent records still exist."""


class TransactionTooLarge(AaceError):
    """A unit of work holds more writes than the backend can apply atomically."""


class StorageError(AaceError):
    """The backend failed in a way no other error describes."""


class StorageUnavailable(StorageError):
    """The backend could not be reached or kept throttling after the retries ran out.

    Transient by nature: the same call may succeed later.
    """

    hint = "check that the backend is running and that the URL's host and port are right"


class StorageMisconfigured(StorageError):
    """The backend answered but cannot serve this configuration: bad or missing
    credentials, a missing database, missing or outdated tables. Retrying will not help."""

    hint = "check the storage URL and credentials, or prepare the store with `aace init`"


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of an exception group: what concurrent work raises as itself, so
    that callers see the package's own error, never a group."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
