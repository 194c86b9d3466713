"""Tenant identity: the composite partition key and the context every service call carries,
and the operator's :class:`PlatformContext`, the one identity that writes platform registries."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import attrs

from aace.domain.errors import Forbidden, InvalidPartitionKey, ValidationError
from aace.domain.values import NOT_IN_IDS, check_text

__all__ = [
    "MAX_PARTITION_KEY_BYTES",
    "SEPARATOR",
    "PartitionKey",
    "PlatformContext",
    "TenantContext",
    "as_operator",
    "current_operator",
    "require_operator",
    "sole_tenant",
]

SEPARATOR = "#"
MAX_PARTITION_KEY_BYTES = 2048


def _check_component(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidPartitionKey(name, f"must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidPartitionKey(name, "must not be empty")
    if SEPARATOR in value:
        raise InvalidPartitionKey(name, f"must not contain {SEPARATOR!r}")
    if NOT_IN_IDS.search(value):
        raise InvalidPartitionKey(name, "must not contain control characters or lone surrogates")
    if value != value.strip():
        raise InvalidPartitionKey(name, "must not have leading or trailing whitespace")


@attrs.frozen(order=True)
class PartitionKey:
    """The pair (platform deployment, business tenant); text form ``"{endpoint_id}#{part_id}"``."""

    endpoint_id: str
    part_id: str

    def __attrs_post_init__(self) -> None:
        _check_component("endpoint_id", self.endpoint_id)
        _check_component("part_id", self.part_id)
        size = len(str(self).encode("utf-8"))
        if size > MAX_PARTITION_KEY_BYTES:
            raise InvalidPartitionKey(
                "partition_key",
                f"is {size} UTF-8 bytes, more than the limit of {MAX_PARTITION_KEY_BYTES}",
            )

    def __str__(self) -> str:
        return f"{self.endpoint_id}{SEPARATOR}{self.part_id}"

    @classmethod
    def parse(cls, text: str) -> PartitionKey:
        """Parse the text form; exactly one ``#`` is required."""
        if not isinstance(text, str):
            raise InvalidPartitionKey(
                "partition_key", f"must be a string, got {type(text).__name__}"
            )
        count = text.count(SEPARATOR)
        if count != 1:
            raise InvalidPartitionKey(
                "partition_key", f"must contain exactly one {SEPARATOR!r}, found {count}"
            )
        endpoint_id, part_id = text.split(SEPARATOR)
        return cls(endpoint_id, part_id)

    @classmethod
    def from_legacy(cls, endpoint_id: str) -> PartitionKey:
        """The one legacy constructor: a bare ``endpoint_id`` is the tenant ``ep#ep``."""
        return cls(endpoint_id, endpoint_id)


def _check_updated_by(value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("updated_by", "must be a non-empty string")
    check_text("updated_by", value)


@attrs.frozen
class TenantContext:
    """Who acts, for which tenant. Built once at the edge and passed to every service call."""

    partition_key: PartitionKey
    updated_by: str = attrs.field(default="system")

    def __attrs_post_init__(self) -> None:
        _check_updated_by(self.updated_by)

    @classmethod
    def from_request(
        cls, endpoint_id: str | None, part_id: str | None = None, updated_by: str = "system"
    ) -> TenantContext:
        """Apply the package's single fallback rule: a missing or empty ``part_id`` is
        ``endpoint_id``. A missing ``endpoint_id`` is refused."""
        if endpoint_id is None or endpoint_id == "":
            raise InvalidPartitionKey("endpoint_id", "is required")
        effective_part = part_id if part_id else endpoint_id
        return cls(PartitionKey(endpoint_id, effective_part), updated_by)

    @property
    def endpoint_id(self) -> str:
        return self.partition_key.endpoint_id

    @property
    def part_id(self) -> str:
        return self.partition_key.part_id

    def downstream_headers(self) -> dict[str, str]:
        """Headers an internal MCP call carries so the callee derives the same tenant."""
        return {"X-Part-ID": self.part_id}

    def downstream_payload(self) -> dict[str, str]:
        """The tenant fields a function invocation or stream message carries."""
        return {
            "partition_key": str(self.partition_key),
            "endpoint_id": self.endpoint_id,
            "part_id": self.part_id,
        }


@attrs.frozen
class PlatformContext:
    """An operator acting on the platform registries (LLMs, UI components, wizard schemas).

    It is never derived from a request's tenant fields: operator code builds it explicitly,
    naming who acts (``updated_by``, required). Only writes made inside
    :func:`as_operator` of one may touch a platform registry (behaviour §2).
    ``tenant`` names the tenant an operator acts on, for records only an operator writes
    (a tenant's usage limits); it is ``None`` for the registries.
    """

    updated_by: str
    tenant: PartitionKey | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        _check_updated_by(self.updated_by)
        if self.tenant is not None and not isinstance(self.tenant, PartitionKey):
            raise ValidationError("tenant", "must be a PartitionKey or None")


_OPERATOR: ContextVar[PlatformContext | None] = ContextVar("aace_operator", default=None)


def current_operator() -> PlatformContext | None:
    """The operator whose :func:`as_operator` block the current call runs in."""
    return _OPERATOR.get()


@contextmanager
def as_operator(actor: PlatformContext) -> Iterator[PlatformContext]:
    """Operator mode: the storage calls made in this block (on this task, and tasks it
    starts) act for ``actor``, explicitly. Only in operator mode may a call

    - write a platform registry (or the migration tool's state);
    - cross tenants: a scan of every tenant's records, ``exists_in_any_tenant``, a unit of
      work or a ``put_many`` holding records of several tenants.

    A call naming one tenant still acts for that tenant alone (on PostgreSQL, row-level
    security then admits that tenant's rows only). Anything but a :class:`PlatformContext`
    (a tenant context in particular) is ``Forbidden`` at once.
    """
    if not isinstance(actor, PlatformContext):
        raise Forbidden(f"only a PlatformContext acts as the operator, not {type(actor).__name__}")
    token = _OPERATOR.set(actor)
    try:
        yield actor
    finally:
        _OPERATOR.reset(token)


def require_operator(what: str) -> None:
    """Refuse (``Forbidden``) ``what``, a call that crosses tenants, outside operator mode."""
    if _OPERATOR.get() is None:
        raise Forbidden(
            f"{what} crosses tenants: only an operator does that, inside `as_operator(...)`"
        )


def sole_tenant(tenants: Iterable[PartitionKey], what: str) -> PartitionKey | None:
    """The one tenant ``tenants`` name (``None`` for none); several are refused
    (``Forbidden``) outside operator mode, and are ``None`` inside it."""
    distinct = set(tenants)
    if len(distinct) == 1:
        return distinct.pop()
    if distinct:
        require_operator(f"{what} holding records of {len(distinct)} tenants")
    return None
