"""What a generated service is told about its entity (:class:`ServiceSpec`), and who a
call acts for: the tenant it reads and writes, and the block its writes run in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

import attrs

from aace.application.services.listing import Listing
from aace.domain.entity_rules import EntityRules, as_given
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext, as_operator
from aace.domain.unit_of_work import NO_TENANT

__all__ = [
    "Context",
    "ServiceSpec",
    "chosen_id",
    "choosing_id",
    "tenant_of",
    "updated_by",
    "writer",
]

E = TypeVar("E")
Context = TenantContext | PlatformContext
#: The caller-chosen id of the record ``create`` is building (``create``'s ``id``).
_CHOSEN_ID: ContextVar[str | None] = ContextVar("aace_chosen_id", default=None)


@attrs.frozen
class ServiceSpec(Generic[E]):
    """What a generated service needs to know about its entity.

    ``natural_key``: the key comes from the caller's data (``create`` on an existing key is
    ``Conflict``; ``upsert`` writes either way); otherwise the package generates every key
    part that is not a parent's. ``listing``: the keyword filters and default order.
    ``managed``: fields only the package sets (a caller giving one is refused by name).
    """

    schema: EntitySchema[E]
    listing: Listing = attrs.field(factory=Listing)
    natural_key: bool = False
    #: Fields the package sets and a caller may not (``time_spent``, ``total_tokens``, …).
    managed: frozenset[str] = frozenset()
    #: The entity's pure rules: input as stored, what a new record and an update become.
    rules: EntityRules[E] = attrs.field(factory=EntityRules)
    #: The keyword filters of ``list`` and ``count`` in the listing's terms (runs'
    #: ``token_type`` with ``min_tokens`` / ``max_tokens``).
    keywords: Callable[[Mapping[str, Any]], Mapping[str, Any]] = as_given
    #: The fields whose change completes a record again from other records (``_complete``);
    #: ``None``: every update does.
    completes_on: frozenset[str] | None = None
    #: The range key of a new record made from the caller's data (a usage limit's
    #: ``"<usage_key>#<period>"``) instead of a fresh id; the caller cannot give it.
    key_from: Callable[[Mapping[str, Any]], str] | None = None


def tenant_of(context: Context) -> PartitionKey:
    """The tenant a call reads and writes: the context's, or the one an operator names."""
    if isinstance(context, PlatformContext):
        return NO_TENANT if context.tenant is None else context.tenant
    return context.partition_key


def writer(context: Context) -> Any:
    """The block a write runs in: operator mode for a ``PlatformContext``."""
    if isinstance(context, PlatformContext):
        return as_operator(context)
    return nullcontext()


def updated_by(context: Context) -> str:
    return context.updated_by


@contextmanager
def choosing_id(spec: ServiceSpec[Any], id: str | None, *, own_keys: bool) -> Iterator[None]:
    """Within the block, a new record's own key part is ``id`` (``None``: generated).
    Refused (``ValidationError`` naming ``id``) where the service makes its keys from the
    data (natural keys, derived keys) or itself (``own_keys``: versioned entities)."""
    if id is None:
        yield
        return
    if spec.natural_key or spec.key_from is not None or own_keys:
        raise ValidationError("id", f"{spec.schema.name} ids are not the caller's to choose")
    token = _CHOSEN_ID.set(id)
    try:
        yield
    finally:
        _CHOSEN_ID.reset(token)


def chosen_id() -> str | None:
    """The id :func:`choosing_id` set for the record being built (``None``: generate one)."""
    return _CHOSEN_ID.get()
