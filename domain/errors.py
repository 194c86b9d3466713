"""The package's neutral error tree, and what each error means over HTTP.

Every error a caller can see derives from :class:`AaceError`. Adapters translate driver
exceptions into these (``raise ... from exc``), so no driver type ever escapes the package.

Each class has an HTTP ``status`` (a class attribute; a subclass keeps its parent's unless
it says otherwise). This is the one table of every class, those defined elsewhere in the
package included (their module ends the row): a test walks the whole ``AaceError`` tree
and compares it with this table. ``aace.application.problems`` renders an error as RFC 9457
problem details with its status and its problem type (``urn:aace:error:`` and the class's
name in kebab case; ``about:blank`` for an error that is not the package's, a 500).

=======================  ======  ==============================================================
Error                    Status  Problem type, and why
=======================  ======  ==============================================================
ValidationError          422     ``urn:aace:error:validation-error``: the input broke a rule
                                 (every bad field in ``errors``)
InvalidPartitionKey      400     ``urn:aace:error:invalid-partition-key``: the tenant named is
                                 malformed (a header, a principal)
TooLarge                 413     ``urn:aace:error:too-large``: a value, key or record is over a
                                 storage limit (``limit``)
InvalidCursor            400     ``urn:aace:error:invalid-cursor``: a cursor malformed, tampered
                                 with or for another listing
NotFound                 404     ``urn:aace:error:not-found``: no such record for this tenant
ParentBeingDeleted       404     ``urn:aace:error:parent-being-deleted``: a required record is
                                 being deleted (``domain.unit_of_work``)
Conflict                 409     ``urn:aace:error:conflict``: a create met an existing key
ConditionFailed          412     ``urn:aace:error:condition-failed``: a write's precondition on
                                 the current state was false
LostRace                 409     ``urn:aace:error:lost-race``: a concurrent writer changed what
                                 the write had read; retry (``services.contention``)
IdempotencyConflict      422     ``urn:aace:error:idempotency-conflict``: an idempotency key
                                 reused with another input
Forbidden                403     ``urn:aace:error:forbidden``: the caller may not do this
LimitExceeded            409     ``urn:aace:error:limit-exceeded``: a count limit (agents of a
                                 tenant) or an all-time quota
QuotaExceeded            429     ``urn:aace:error:quota-exceeded``: a periodic quota;
                                 ``Retry-After`` when the period resets
HasDependents            409     ``urn:aace:error:has-dependents``: a delete refused while
                                 dependents exist
DependentsArrived        409     ``urn:aace:error:dependents-arrived``: a dependent created while
                                 a cascade ran (``domain.unit_of_work``)
TransactionTooLarge      413     ``urn:aace:error:transaction-too-large``: more writes than the
                                 backend applies atomically
StorageError             500     ``urn:aace:error:storage-error``: the backend failed in a way no
                                 other error describes
SecretMoved              500     ``urn:aace:error:secret-moved``: a sealed value read from
                                 another record or attribute (``domain.secrets``)
IteratorExpired          500     ``urn:aace:error:iterator-expired``: a stream iterator outlived
                                 its 15 minutes (``domain.legacy_source``)
StorageUnavailable       503     ``urn:aace:error:storage-unavailable``: the backend unreachable
                                 or throttling (transient)
StorageMisconfigured     500     ``urn:aace:error:storage-misconfigured``: credentials, database
                                 or tables wrong (not transient)
UnknownSecretKey         500     ``urn:aace:error:unknown-secret-key``: a sealed value names a key
                                 no configured key has (``domain.secrets``)
StreamTrimmed            500     ``urn:aace:error:stream-trimmed``: the stream no longer holds
                                 what an iterator points at (``domain.legacy_source``)
TableLayoutMismatch      500     ``urn:aace:error:table-layout-mismatch``: a table's keys or
                                 indexes differ from the layout (``adapters.dynamodb``)
=======================  ======  ==============================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import ClassVar, NamedTuple

__all__ = [
    "AaceError",
    "ConditionFailed",
    "Conflict",
    "FieldError",
    "Forbidden",
    "HasDependents",
    "IdempotencyConflict",
    "InvalidCursor",
    "InvalidPartitionKey",
    "LimitExceeded",
    "NotFound",
    "QuotaExceeded",
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


class FieldError(NamedTuple):
    """One bad field of an input: its name (dotted path for nesting) and what is wrong."""

    field: str
    message: str


class ValidationError(AaceError, ValueError):
    """Input broke a rule; ``field`` names the offending field (dotted path for nesting).

    ``errors`` lists every bad field of the input, in the entity's field order (unknown
    fields last, as given); ``field``, ``message`` and ``str(e)`` are its first.
    """

    status: ClassVar[int] = 422

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        self.field = field
        self.message = message
        self.errors: tuple[FieldError, ...] = (FieldError(field, message),)
        super().__init__(f"{field}: {message}", hint=hint)

    def with_errors(self, errors: Iterable[FieldError]) -> ValidationError:
        """This error (its class, ``field`` and message) listing ``errors`` as every bad
        field; its own comes first when ``errors`` leaves it out."""
        listed = tuple(errors)
        own = FieldError(self.field, self.message)
        self.errors = listed if own in listed else (own, *listed)
        return self


class InvalidPartitionKey(ValidationError):
    """A tenant component or a partition-key text broke a rule of behaviour §1."""

    status: ClassVar[int] = 400


class TooLarge(ValidationError):
    """A record or a key exceeds a storage limit; ``limit`` says which one."""

    status: ClassVar[int] = 413

    def __init__(self, field: str, message: str, *, limit: str) -> None:
        self.limit = limit
        super().__init__(field, message)


class InvalidCursor(AaceError):
    """A pagination cursor is malformed, tampered with, or issued for another scope."""

    status: ClassVar[int] = 400


class NotFound(AaceError):
    """The record does not exist for this tenant (a foreign record looks exactly the same)."""

    status: ClassVar[int] = 404


class Conflict(AaceError):
    """A create met an existing record with the same key."""

    status: ClassVar[int] = 409


class ConditionFailed(Conflict):
    """A write's precondition on the record's current state was false."""

    status: ClassVar[int] = 412


class IdempotencyConflict(Conflict):
    """An idempotency key was reused with a different input."""

    status: ClassVar[int] = 422


class Forbidden(AaceError):
    """The caller may not do this: no authenticated principal, or a tenant context writing
    a platform registry (only a ``PlatformContext`` does). Nothing is written."""

    status: ClassVar[int] = 403


class LimitExceeded(AaceError):
    """A per-tenant limit would be passed by this write: a count limit (the agents of a
    tenant) or a quota over all time; retrying will not help until something changes."""

    status: ClassVar[int] = 409


class QuotaExceeded(LimitExceeded):
    """A periodic usage quota is used up: ``period`` (``day``, ``month``) and ``resets_at``
    (when the next period starts, UTC) say when the same call may succeed."""

    status: ClassVar[int] = 429

    def __init__(self, message: str, *, period: str, resets_at: datetime) -> None:
        self.period = period
        self.resets_at = resets_at
        super().__init__(message)


class HasDependents(AaceError):
    """A delete was refused because dependent records still exist."""

    status: ClassVar[int] = 409


class TransactionTooLarge(AaceError):
    """A unit of work holds more writes than the backend can apply atomically."""

    status: ClassVar[int] = 413


class StorageError(AaceError):
    """The backend failed in a way no other error describes."""

    status: ClassVar[int] = 500


class StorageUnavailable(StorageError):
    """The backend could not be reached or kept throttling after the retries ran out.

    Transient by nature: the same call may succeed later.
    """

    status: ClassVar[int] = 503

    hint = "check that the backend is running and that the URL's host and port are right"


class StorageMisconfigured(StorageError):
    """The backend answered but cannot serve this configuration: bad or missing
    credentials, a missing database, missing or outdated tables. Retrying will not help."""

    status: ClassVar[int] = 500

    hint = "check the storage URL and credentials, or prepare the store with `aace init`"


def first_error(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first leaf of an exception group: what concurrent work raises as itself, so
    that callers see the package's own error, never a group."""
    error: BaseException = group
    while isinstance(error, BaseExceptionGroup):
        error = error.exceptions[0]
    return error
