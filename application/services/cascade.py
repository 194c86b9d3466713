"""Cascading deletes: a record with its owned subtree, bottom-up over units of work, each
delete guarded by its own dependents so nothing created meanwhile outlives its parent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from aace.application.services.contention import LostRace, commit_or_lose, settle
from aace.application.services.dependents import Dependents, caused_by
from aace.domain.errors import ConditionFailed, TransactionTooLarge
from aace.domain.ports import Condition, Store, UnitOfWork
from aace.domain.records import to_record
from aace.domain.retry import RetryPolicy
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from aace.domain.unit_of_work import DependentsArrived, Guard

__all__ = ["Cascade", "settle_cascade"]

#: One record of a subtree: its schema and the record as read.
Member = tuple[EntitySchema[Any], Any]


async def settle_cascade(
    policy: RetryPolicy, attempt: Callable[[], Awaitable[None]], what: str
) -> None:
    """:func:`settle` for a delete: when its retries ran out because records kept being
    created under the subtree a cascade was deleting, ``DependentsArrived`` saying so
    (rather than a ``ConditionFailed`` about changes in general)."""
    try:
        await settle(policy, attempt, what)
    except ConditionFailed as exc:
        if not caused_by(exc, DependentsArrived):
            raise
        raise DependentsArrived(
            f"{what}: records kept being created under it while its cascade ran (every "
            "round found new ones, until the contention deadline); the cascade deletes "
            "bottom-up, so what it deleted left nothing under a deleted parent; call it "
            "again once those creates stop"
        ) from exc


class Cascade:
    """Deletes a record's owned subtree along with the record (``delete(cascade=True)``)."""

    def __init__(self, store: Store, dependents: Dependents) -> None:
        self._store = store
        self._dependents = dependents

    async def delete(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        current: Any,
        condition: Condition,
        also: Callable[[UnitOfWork, PartitionKey], None],
        *,
        cascade: bool,
    ) -> None:
        """Delete ``current`` on ``condition``, guarded by its dependents, in one unit of
        work with what ``also`` adds to it (a counter); with ``cascade``, its owned subtree
        too (:meth:`commit`; its guards then say a dependent arrived)."""
        record = to_record(schema, current)
        uow = self._store.unit_of_work()
        guards = self._dependents.guards(schema, record, cascade=cascade)
        uow.delete(schema, tenant, schema.key_of(current), condition=condition, guards=guards)
        also(uow, tenant)
        if cascade:
            await self.commit(uow, schema, tenant, record)
        else:
            await commit_or_lose(uow)

    async def commit(
        self,
        uow: UnitOfWork,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        record: dict[str, Any],
    ) -> None:
        """Commit ``uow`` (the root's guarded delete and what goes with it) with the root's
        owned subtree. The subtree is listed in post-order (each record after all of its
        descendants); the tail of that listing goes in ``uow`` as far as it fits (the root's
        children and the descendants listed last), and the rest first, from the start of the
        listing, in units of their own. So a crash between units leaves a parent with fewer
        descendants, never a descendant without its parent. Each delete is guarded by its
        dependents; a guard that another delete of the same unit covers (a run's messages,
        when the run's thread goes in the same unit) is flagged ``covered``, so adapters
        need not look it up: the wider guard sees the same records. ``LostRace`` when a
        guard finds a record created after the listing (:class:`DependentsArrived`): the
        caller lists again."""
        listed = await self._dependents.subtree(schema, tenant, record)
        tail: list[Guard] = []
        while listed:
            member = listed[-1]
            guards = _uncovered(self._dependents.guards_of(*member), tail)
            try:
                self._dependents.delete_descendant(uow, *member, tenant, guards)
            except TransactionTooLarge:
                break
            tail += guards
            listed.pop()
        size = uow.max_actions
        try:
            for start in range(0, len(listed), size):
                part = self._store.unit_of_work()
                self._into(part, listed[start : start + size], tenant)
                await commit_or_lose(part)
            await commit_or_lose(uow)
        except DependentsArrived as exc:
            raise LostRace(str(exc)) from exc

    def _into(self, uow: UnitOfWork, members: Sequence[Member], tenant: PartitionKey) -> None:
        """Add the deletes of ``members`` to ``uow``, each with the guards no other member's
        guard covers (the members come deepest first, so their ancestors come later)."""
        guards = [self._dependents.guards_of(*member) for member in members]
        everyone = [guard for own in guards for guard in own]  # none covers itself
        for member, own in zip(members, guards, strict=True):
            self._dependents.delete_descendant(uow, *member, tenant, _uncovered(own, everyone))


def _uncovered(guards: Sequence[Guard], present: Sequence[Guard]) -> list[Guard]:
    """The ``guards``, those that one of the ``present`` ones covers flagged ``covered``
    (:meth:`Guard.covers`)."""
    return [
        attrs.evolve(guard, covered=True) if any(wide.covers(guard) for wide in present) else guard
        for guard in guards
    ]
