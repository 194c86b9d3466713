"""What :mod:`domain.relations` means for a service's writes: the parents a new record
requires, the guards a delete carries, and the subtree a cascading delete removes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from aace.application.services.contention import settle
from aace.domain.errors import ConditionFailed, NotFound
from aace.domain.ports import Condition, Store, UnitOfWork, find_active, read_all
from aace.domain.query import Query
from aace.domain.records import to_record
from aace.domain.relations import Link, Relation, children_of, parents_of
from aace.domain.retry import RetryPolicy
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from aace.domain.unit_of_work import Guard, ParentBeingDeleted, covers_query

__all__ = ["Dependents", "caused_by", "settle_child"]

T = TypeVar("T")

#: A record's identity while a cascade collects a subtree: (schema name, key).
Identity = tuple[str, tuple[str, ...]]


def _by_stable_id(relation: Relation) -> bool:
    """The link names the parent's stable id (an agent's ``agent_uuid``), not its key."""
    parent_attr = relation.link_attrs[0]
    return parent_attr not in relation.parent.key_fields


def caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``error`` or an error it was raised from (``raise … from``) is a ``kind``:
    what a retried write lost to last, once its retries ran out."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__
    return False


async def settle_child(policy: RetryPolicy, attempt: Callable[[], Awaitable[T]], what: str) -> T:
    """:func:`settle` for a write that requires its parents: a parent whose delete is under
    way (:class:`ParentBeingDeleted`, which ``attempt`` raises as a lost race) is waited
    out, as SQL waits on the parent's row lock, since the delete may yet be refused; still
    being deleted at the deadline (a delete that crashed), the parent counts as gone:
    ``NotFound``."""
    try:
        return await settle(policy, attempt, what)
    except ConditionFailed as exc:
        if not caused_by(exc, ParentBeingDeleted):
            raise
        raise NotFound(f"{what}: a parent is still being deleted") from exc


class Dependents:
    """The relations of one store's entities, read as rules for writes."""

    def __init__(self, store: Store) -> None:
        self._store = store

    async def require_parents(
        self, uow: UnitOfWork, schema: EntitySchema[Any], entity: Any
    ) -> None:
        """Add to ``uow`` a check of every parent ``entity`` requires (``NotFound`` now if
        one is missing; at commit if it goes in between). A parent known by a stable id is
        required through its active version."""
        relations = [r for r in parents_of(schema) if r.required and r.link is Link.CHILD_HOLDS]
        if not relations:
            return
        record = to_record(schema, entity)
        tenant: PartitionKey = entity.partition_key
        for relation in relations:
            for values in relation.parent_values(record):
                parent = relation.parent
                if _by_stable_id(relation):
                    key = await self._active_version_key(relation, tenant, values)
                    condition = Condition.present(status="active")
                else:
                    key = tuple(values[name] for name in parent.key_fields)
                    condition = Condition.present()
                uow.require(parent, tenant, key, condition=condition)

    async def _active_version_key(
        self, relation: Relation, tenant: PartitionKey, values: dict[str, Any]
    ) -> tuple[str, ...]:
        parent = relation.parent
        attr = relation.link_attrs[0]
        active = await find_active(self._store.repository(parent), tenant, attr, values[attr])
        if active is None:
            raise NotFound(f"{relation.parent_name} {values[attr]} not found")
        return parent.key_of(active)

    @staticmethod
    def guards(
        schema: EntitySchema[Any],
        record: dict[str, Any],
        *,
        last_version: bool = True,
        cascade: bool = False,
    ) -> list[Guard]:
        """The guards deleting ``record`` carries: one per relation whose children hold
        its attributes. Children linked by a stable id guard only the last version. In a
        ``cascade``, a guard over owned children (which the cascade deletes itself) refuses
        with ``DependentsArrived``: one it finds was created after the subtree was read."""
        guards = []
        for relation in children_of(schema):
            if not relation.guards_delete or relation.link is not Link.CHILD_HOLDS:
                continue
            if _by_stable_id(relation) and not last_version:
                continue
            query = relation.children_query(record, limit=1)
            cascaded = cascade and relation.owned
            guards.append(Guard(relation.children, relation.child, query, cascaded))
        return guards

    def guards_of(self, schema: EntitySchema[Any], item: Any) -> list[Guard]:
        """The guards of a cascade's delete of ``item`` (a record of the subtree it read):
        its own dependents, so a child created under it after the subtree was read refuses
        the unit instead of outliving it (the child's create requires only its direct
        parent)."""
        return self.guards(schema, to_record(schema, item), cascade=True)

    @staticmethod
    def delete_descendant(
        uow: UnitOfWork,
        schema: EntitySchema[Any],
        item: Any,
        tenant: PartitionKey,
        guards: Sequence[Guard],
    ) -> None:
        """Add a cascade's delete of ``item`` to ``uow``: the record must still be there,
        and ``guards`` (of :meth:`guards_of`) must find nothing."""
        uow.delete(schema, tenant, schema.key_of(item), guards=guards)

    async def children(
        self, relation: Relation, tenant: PartitionKey, record: dict[str, Any]
    ) -> AsyncIterator[Any]:
        """Every child of ``record`` along an owned relation (all pages)."""
        repository = self._store.repository(relation.child)
        if relation.link is Link.PARENT_LISTS:
            keys = [(item,) for item in record.get(relation.link_attrs[0]) or []]
            for found in await repository.get_many(tenant, keys):
                if found is not None:
                    yield found
            return
        for item in await read_all(repository, tenant, relation.children_query(record)):
            yield item

    async def subtree(
        self, schema: EntitySchema[Any], tenant: PartitionKey, record: dict[str, Any]
    ) -> list[tuple[EntitySchema[Any], Any]]:
        """Every record below ``record`` along owned relations, each once, in post-order:
        every record comes after all of its descendants. A listing that one read before
        covers (a run's messages, after its thread's) is not read again: a parent's children
        that are also its other children's children are read first."""
        seen: set[Identity] = set()
        ordered: list[tuple[EntitySchema[Any], Any]] = []
        read: list[tuple[EntitySchema[Any], Query]] = []

        async def visit(parent: EntitySchema[Any], parent_record: dict[str, Any]) -> None:
            for relation in _owned_widest_first(parent):
                if relation.link is Link.CHILD_HOLDS:
                    query = relation.children_query(parent_record)
                    if any(s is relation.child and covers_query(s, q, query) for s, q in read):
                        continue  # every child it lists is listed already
                    read.append((relation.child, query))
                async for child in self.children(relation, tenant, parent_record):
                    identity = (relation.child.name, relation.child.key_of(child))
                    if identity in seen:
                        continue
                    seen.add(identity)
                    await visit(relation.child, to_record(relation.child, child))
                    ordered.append((relation.child, child))

        await visit(schema, record)
        return ordered


def _owned_widest_first(parent: EntitySchema[Any]) -> list[Relation]:
    """The owned relations a cascade follows from ``parent``, those whose children are also
    children of its other children first (a thread's messages before its runs)."""
    relations = [r for r in children_of(parent) if r.owned and r.link is not Link.CHILD_LISTS]
    below = {grand.child.name for r in relations for grand in children_of(r.child)}
    return sorted(relations, key=lambda r: r.child.name not in below)
