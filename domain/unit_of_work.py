"""The buffering half of a unit of work, shared by every adapter.

It validates each action as it is added (records encoded and size-checked, keys checked,
the backend's atomic limit and the one-action-per-record rule enforced, a platform registry
written only by a ``PlatformContext``), so an adapter only implements
:meth:`BufferedUnitOfWork._apply`, which must apply all actions or none.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import attrs

from aace.domain.entities import TENANT_COUNTERS, schema_for
from aace.domain.errors import (
    ConditionFailed,
    Forbidden,
    HasDependents,
    LimitExceeded,
    NotFound,
    TransactionTooLarge,
    ValidationError,
)
from aace.domain.fields import utc_now
from aace.domain.ports import ANY, PRESENT, Condition, ConditionKind
from aace.domain.query import Query
from aace.domain.records import to_record
from aace.domain.schema import AttrKind, EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey, current_operator, sole_tenant
from aace.domain.usage_rules import over_limit
from aace.domain.values import check_id

__all__ = [
    "NO_TENANT",
    "Action",
    "BufferedUnitOfWork",
    "CheckAction",
    "DeleteAction",
    "DependentsArrived",
    "Guard",
    "IncrementAction",
    "ParentBeingDeleted",
    "PutAction",
    "acting_tenant",
    "covers_query",
    "writes_registry",
    "check_writer",
    "deleted_keys",
]

#: The ``tenant`` of a put on a platform registry, whose records have none: a placeholder
#: that is never stored, and never compared (platform tables are not tenant-checked).
NO_TENANT = PartitionKey("platform", "platform")


def check_writer(schema: EntitySchema[Any]) -> None:
    """Refuse (``Forbidden``) a write of a platform registry outside a
    :func:`~aace.domain.tenancy.as_operator` block: only an operator's
    ``PlatformContext`` writes them. Tenant tables take their writer from the record."""
    if schema.platform and current_operator() is None:
        raise Forbidden(
            f"{schema.name} is a platform registry: only a PlatformContext writes it "
            "(a tenant context reads it only)"
        )


def check_condition(schema: EntitySchema[Any], condition: Condition) -> None:
    """Refuse a condition the schema cannot evaluate: a ``NOT_NEWER`` stamp must name one of
    its datetime attributes and carry an aware datetime."""
    if not isinstance(condition, Condition):
        raise ValidationError("condition", f"must be a Condition, not {type(condition).__name__}")
    if condition.kind is not ConditionKind.NOT_NEWER:
        return
    field, value = condition.stamp or (None, None)
    if schema.attribute_kinds.get(str(field)) is not AttrKind.DT:
        raise ValidationError("condition", f"{schema.name} has no datetime attribute {field!r}")
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValidationError("condition", f"{field} must be an aware datetime, got {value!r}")


@attrs.frozen
class PutAction:
    """A write of one record. Every adapter's writes (units of work, and the repositories'
    single writes) are made of these, so the writer rule is checked here, once."""

    schema: EntitySchema[Any]
    tenant: PartitionKey
    record: dict[str, Any]
    condition: Condition

    def __attrs_post_init__(self) -> None:
        check_writer(self.schema)
        check_condition(self.schema, self.condition)

    @classmethod
    def of(cls, schema: EntitySchema[Any], entity: Any, condition: Condition) -> PutAction:
        """The write of ``entity``: its record encoded and size-checked (the writer is
        checked first, so a tenant learns nothing about a registry record but ``Forbidden``)."""
        check_writer(schema)
        tenant = NO_TENANT if schema.platform else entity.partition_key
        return cls(schema, tenant, to_record(schema, entity), condition)

    @property
    def key(self) -> EntityKey:
        return self.schema.key_of_record(self.record)


@attrs.frozen
class Guard:
    """What keeps a record from being deleted: the dependents a listing holds.

    The delete lands only if, when the unit of work commits, ``query`` over ``schema`` (for
    the delete's tenant) holds no record other than those the same unit deletes; else the
    whole unit fails with ``HasDependents`` naming ``name`` and nothing is written. Together
    with children that :meth:`BufferedUnitOfWork.require` their parent, this holds under
    concurrency: a child committed first makes the delete fail, a child committing later
    finds its parent gone (``NotFound``).
    """

    name: str
    schema: EntitySchema[Any]
    query: Query
    #: The guard of a cascading delete over dependents it deletes itself: finding one means
    #: it was created after the cascade read its subtree (:class:`DependentsArrived`).
    cascaded: bool = False
    #: Another guard of the same unit of work lists every record this one would
    #: (:meth:`covers`): an adapter that checks guards in the unit's own transaction may skip
    #: it; one that marks the deleted record first (DynamoDB) still marks it.
    covered: bool = False

    def refuse(self, parent: str, key: EntityKey) -> HasDependents:
        message = f"{parent} {key} still has {self.name}"
        return DependentsArrived(message) if self.cascaded else HasDependents(message)

    def covers(self, narrower: Guard) -> bool:
        """Whether every record ``narrower``'s listing can hold is one this guard's holds
        too, refused alike, so that a unit of work holding both needs only this one: this
        lists a whole parent partition (filtered at most on attributes ``narrower`` also
        requires equal), ``narrower`` a strict part of the same partition (a run's messages
        within its thread's). Never both ways, so two guards never drop each other."""
        return (
            not self.covered
            and self.schema is narrower.schema
            and self.cascaded is narrower.cascaded
            and covers_query(self.schema, self.query, narrower.query)
        )


def covers_query(schema: EntitySchema[Any], wide: Query, narrow: Query) -> bool:
    """Whether every record of ``schema`` that ``narrow`` lists, ``wide`` lists too, and
    ``narrow`` lists a strict part of it (never both ways): ``wide`` reads a whole parent
    partition (filtered at most on attributes ``narrow`` also requires equal), ``narrow`` a
    part of the same partition (a run's messages within its thread's)."""
    if wide.parent is None or wide.parent != narrow.parent:
        return False
    if wide.index is not None or wide.range is not None:
        return False
    index = schema.index(narrow.index)
    if index is not None and index.hash_key != schema.hash_key:
        return False  # a global index over other partitions
    if any(narrow.filters.get(name, _MISSING) != value for name, value in wide.filters.items()):
        return False
    return (
        narrow.index is not None
        or narrow.range is not None
        or len(narrow.filters) > len(wide.filters)
    )


_MISSING = object()


class DependentsArrived(HasDependents):
    """A cascade's own guard found a dependent it had not read (created while the cascade
    ran): nothing was written, and the cascade reads its subtree again."""


class ParentBeingDeleted(NotFound):
    """A required record carries a live deletion mark (DynamoDB): its guarded delete is
    under way and may yet be refused. A create retries as after a lost race, and answers
    ``NotFound`` once the record is gone, or when it is still marked at the create's
    deadline (a delete that crashed leaves its mark until the lease runs out)."""


@attrs.frozen
class DeleteAction:
    """A delete of one record; the writer rule is checked as for :class:`PutAction`.
    ``guards``: the dependents whose existence refuses the delete (:class:`Guard`)."""

    schema: EntitySchema[Any]
    tenant: PartitionKey
    key: EntityKey
    condition: Condition
    guards: tuple[Guard, ...] = ()

    def __attrs_post_init__(self) -> None:
        check_writer(self.schema)
        check_condition(self.schema, self.condition)


@attrs.frozen
class CheckAction:
    """A precondition on one record that writes nothing: the unit of work commits only if
    the tenant's record meets ``condition`` (always of kind ``PRESENT``) at commit time,
    else it fails with ``NotFound`` (missing, or another tenant's) or ``ConditionFailed``.
    The reference semantics are :meth:`Condition.holds`. Reading is every tenant's right,
    so no writer rule applies (a platform record may be required too)."""

    schema: EntitySchema[Any]
    tenant: PartitionKey
    key: EntityKey
    condition: Condition


@attrs.frozen
class IncrementAction:
    """Add ``by`` to the ``value`` of a counter record: a tenant counter by default, or a
    record of another counter table (``schema``: keyed by ``partition_key`` and a name, with
    ``value`` and ``updated_at``), whose other attributes are ``extra``."""

    tenant: PartitionKey
    counter_name: str
    by: int
    limit: int | None
    schema: EntitySchema[Any] = TENANT_COUNTERS
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def key(self) -> EntityKey:
        return (self.counter_name,)

    def refusal(self, message: str) -> LimitExceeded:
        """The error of a step past the limit: ``QuotaExceeded`` for a usage total of a
        period that ends (its ``extra`` names the period), else ``LimitExceeded``."""
        return over_limit(message, self.extra.get("period"), self.extra.get("period_start"))

    def applied_to(self, current: int | None) -> dict[str, Any]:
        """The counter's new record given its ``current`` value (``None``: no record yet);
        ``LimitExceeded`` past the limit, ``ConditionFailed`` below zero."""
        value = (current or 0) + self.by
        if self.limit is not None and self.by > 0 and value > self.limit:
            raise self.refusal(
                f"{self.counter_name} would reach {value}, over the limit of {self.limit}"
            )
        if value < 0:
            raise ConditionFailed(f"{self.counter_name} would drop below zero")
        counter = self.schema.entity(
            partition_key=self.tenant,
            **{self.schema.range_key: self.counter_name},
            value=value,
            updated_at=utc_now(),
            **self.extra,
        )
        return to_record(self.schema, counter)


Action = PutAction | DeleteAction | IncrementAction | CheckAction


def writes_registry(actions: Sequence[Action]) -> bool:
    """Whether a unit of work writes a platform table (allowed when each such action was
    added, in operator mode: the unit acts as the operator wherever it commits)."""
    return any(a.schema.platform and not isinstance(a, CheckAction) for a in actions)


def acting_tenant(actions: Sequence[Action]) -> PartitionKey | None:
    """The one tenant a unit of work acts for: that of its actions on tenant tables (a
    required registry record is read as every tenant may). ``None`` when it writes a
    registry (:func:`writes_registry`) or holds records of several tenants, which is
    ``Forbidden`` outside operator mode."""
    if writes_registry(actions):
        return None
    return sole_tenant((a.tenant for a in actions if not a.schema.platform), "a unit of work")


def deleted_keys(actions: Sequence[Action], schema: EntitySchema[Any]) -> set[EntityKey]:
    """The keys of ``schema`` records the actions delete (a guard disregards them)."""
    return {a.key for a in actions if isinstance(a, DeleteAction) and a.schema is schema}


def item_identity(
    schema: EntitySchema[Any], tenant: PartitionKey, key: EntityKey
) -> tuple[str, ...]:
    """Which stored item an action touches (table, hash value, range value)."""
    if schema.tenant_hashed:
        return (schema.name, str(tenant), *key)
    return (schema.name, *key)


class BufferedUnitOfWork(ABC):
    """Collects actions, then hands them to :meth:`_apply` in one go."""

    max_actions: int = 100

    def __init__(self) -> None:
        self.actions: list[Action] = []
        self._items: set[tuple[str, ...]] = set()
        self._done = False

    def _add(self, action: Action, tenant: PartitionKey) -> None:
        if self._done:
            raise ValidationError("unit_of_work", "was already committed or discarded")
        identity = item_identity(action.schema, tenant, action.key)
        if identity in self._items:
            raise ValidationError("key", f"two actions on one {action.schema.name} record")
        if len(self.actions) >= self.max_actions:
            raise TransactionTooLarge(
                f"a unit of work holds at most {self.max_actions} actions on this backend"
            )
        self._items.add(identity)
        self.actions.append(action)

    def put(self, entity: Any, *, condition: Condition = ANY) -> None:
        action = PutAction.of(schema_for(type(entity)), entity, condition)
        self._add(action, action.tenant)

    def delete(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
        guards: Sequence[Guard] = (),
    ) -> None:
        action = DeleteAction(schema, tenant, schema.check_key(key), condition, tuple(guards))
        self._add(action, tenant)

    def require(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
    ) -> None:
        if not isinstance(condition, Condition) or condition.kind is not ConditionKind.PRESENT:
            raise ValidationError("condition", "a required record must be PRESENT")
        self._add(CheckAction(schema, tenant, schema.check_key(key), condition), tenant)

    def increment(
        self,
        tenant: PartitionKey,
        counter_name: str,
        by: int,
        *,
        limit: int | None = None,
        schema: EntitySchema[Any] = TENANT_COUNTERS,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        check_id("counter_name", counter_name)
        if isinstance(by, bool) or not isinstance(by, int) or by == 0:
            raise ValidationError("by", "must be a non-zero integer")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise ValidationError("limit", "must be an integer")
        action = IncrementAction(tenant, counter_name, by, limit, schema, dict(extra or {}))
        action.applied_to(None) if by > 0 else None  # a bad extra is refused now, by name
        self._add(action, tenant)

    async def commit(self) -> None:
        if self._done:
            raise ValidationError("unit_of_work", "was already committed or discarded")
        self._done = True
        if self.actions:
            actions = tuple(self.actions)
            acting_tenant(actions)  # several tenants: operator mode only
            await self._apply(actions)

    @abstractmethod
    async def _apply(self, actions: Sequence[Action]) -> None:
        """Apply every action atomically, or raise the domain error of the first that fails."""

    async def __aenter__(self) -> BufferedUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None and not self._done:
            await self.commit()
        else:
            self._done = True
