"""One service shape for every entity: the verbs of services.md, generated from a
description (:class:`ServiceSpec`), whose ``rules`` are the entity's pure rules (the
domain's :class:`EntityRules`). A service that reads or writes other records for its
entity subclasses it and overrides a hook (``_complete``, ``_also_on_create``,
``_also_on_update``, ``_managed``)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar, overload

from injector import inject

from aace.application.loader import Loaded, Loader, check_includes
from aace.application.services.arguments import (
    Actor,
    Cursor,
    Flag,
    Includes,
    Input,
    KeyAndChanges,
    KeyPart,
    Keys,
    OptionalFlag,
    OptionalId,
    OptionalMoment,
    PageSize,
    checked_entry_points,
)
from aace.application.services.cascade import Cascade, settle_cascade
from aace.application.services.contention import (
    LostRace,
    commit_or_lose,
    contention_policy,
    settle,
)
from aace.application.services.dependents import Dependents, settle_child
from aace.application.services.idempotency import Idempotency, fingerprint
from aace.application.services.inputs import (
    built,
    new_id,
    package_keys,
    refuse_managed,
    revised,
)
from aace.application.services.listing import listing_query
from aace.application.services.spec import (
    Context,
    ServiceSpec,
    choosing_id,
    chosen_id,
    tenant_of,
    updated_by,
    writer,
)
from aace.application.services.views import public_view
from aace.application.settings import Settings
from aace.domain.entity_rules import EntityRules
from aace.domain.errors import (
    ConditionFailed,
    Forbidden,
    LimitExceeded,
    ValidationError,
)
from aace.domain.ports import ABSENT, PRESENT, Condition, Store, UnitOfWork
from aace.domain.query import Page
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey, PlatformContext
from aace.domain.unit_of_work import ParentBeingDeleted

__all__ = [
    "Context",
    "EntityService",
    "ServiceSpec",
    "new_id",
    "tenant_of",
    "updated_by",
    "writer",
]

E = TypeVar("E")


@checked_entry_points
class EntityService(Generic[E]):
    """``get``, ``find``, ``get_many``, ``list``, ``count``, ``create``, ``update`` and
    ``delete`` over one entity, for one tenant (or, for a platform registry, any tenant
    reading and a ``PlatformContext`` writing). Key parts are passed positionally in key
    order; ``update`` takes the changes after them."""

    spec: ClassVar[ServiceSpec[Any]]

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._records = store.repository(self.spec.schema)
        self._idempotency = Idempotency(store)
        self._dependents = Dependents(store)
        self._cascade = Cascade(store, self._dependents)
        self._contention = contention_policy(settings.contention_deadline)

    @property
    def schema(self) -> EntitySchema[E]:
        return self.spec.schema

    def _tenant(self, context: Context) -> PartitionKey:
        """The tenant this call reads and writes; an operator's context without a tenant
        reaches only the platform registries (``Forbidden`` elsewhere)."""
        if (
            isinstance(context, PlatformContext)
            and context.tenant is None
            and not self.schema.platform
        ):
            raise Forbidden(f"{self.schema.name} belongs to tenants: name one in the context")
        return tenant_of(context)

    # -- reads ------------------------------------------------------------------------------

    @overload
    async def get(self, context: Actor, *key: KeyPart, include: None = None) -> E: ...

    @overload
    async def get(self, context: Actor, *key: KeyPart, include: Sequence[str]) -> Loaded[E]: ...

    async def get(self, context: Actor, *key: KeyPart, include: Includes = None) -> E | Loaded[E]:
        """The record, or ``NotFound``; with ``include`` (relation names), a
        :class:`Loaded` holding the record and the related records it names."""
        if include is not None:
            check_includes(self.schema, include)
        record = self._present(await self._records.get(self._tenant(context), self._key(key)))
        if include is None:
            return record
        related = await self.loader(context).related(self.schema, [record], include)
        return Loaded(record, related)

    async def find(self, context: Actor, *key: KeyPart) -> E | None:
        """The record, or ``None``."""
        found = await self._records.find(self._tenant(context), self._key(key))
        return None if found is None else self._present(found)

    async def get_many(self, context: Actor, keys: Keys) -> builtins.list[E | None]:
        """One result per key (``None`` where missing), in the caller's order."""
        checked = [self._key(k if isinstance(k, tuple) else (k,)) for k in keys]
        found = await self._records.get_many(self._tenant(context), checked)
        return [None if item is None else self._present(item) for item in found]

    async def list(
        self,
        context: Actor,
        *,
        order_by: OptionalId = None,
        descending: OptionalFlag = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
        include: Includes = None,
        **filters: Any,
    ) -> Page[E]:
        """One page in the service's default order (or ``order_by`` an indexed attribute);
        ``include`` names relations to resolve into ``Page.related`` (services.md)."""
        if include:
            check_includes(self.schema, include)
        keywords = self.spec.keywords(filters)
        query = listing_query(
            self.schema,
            self.spec.listing,
            keywords,
            order_by=order_by,
            descending=descending,
            limit=limit,
            cursor=cursor,
        )
        page = await self._records.query(self._tenant(context), query)
        items = [self._present(item) for item in page.items]
        related = (
            await self.loader(context).related(self.schema, items, include) if include else {}
        )
        return Page(items, page.next_cursor, related)

    def loader(self, context: Context) -> Loader:
        """A per-request loader for ``context``'s tenant (``app.loader(ctx)``)."""
        return Loader(self._store, self._tenant(context), public_view)

    async def count(self, context: Actor, **filters: Any) -> int:
        """How many records ``list`` with the same filters would visit."""
        query = listing_query(self.schema, self.spec.listing, self.spec.keywords(filters))
        return await self._records.count(self._tenant(context), query)

    # -- writes -----------------------------------------------------------------------------

    async def create(
        self,
        context: Actor,
        data: Input,
        *,
        idempotency_key: OptionalId = None,
        id: OptionalId = None,
    ) -> E:
        """A new record; ids, tenant and audit fields are the package's, except ``id``: a
        caller-chosen id for the record's own key part (validated as any id; one the
        tenant's table already holds is ``Conflict``). A parent the tenant does not have is
        ``NotFound``; on a natural key, an existing record is ``Conflict``."""
        with self._chosen_id(id):
            return await self._create(context, data, idempotency_key)

    def _chosen_id(self, id: str | None) -> AbstractContextManager[None]:
        """``create``'s ``id`` for the record built within the block (:func:`choosing_id`)."""
        own_keys = type(self)._managed is not EntityService._managed  # versioned entities
        return choosing_id(self.spec, id, own_keys=own_keys)

    async def _create(self, context: Context, data: Any, idempotency_key: str | None) -> E:
        """Create once; a required parent that changed after it was read (an agent's
        active version replaced by a new one) or is being deleted is read again after a
        backoff (:func:`settle_child`)."""

        async def attempt() -> E:
            try:
                return await self._create_once(context, data, idempotency_key)
            except (ConditionFailed, ParentBeingDeleted) as exc:
                raise LostRace(str(exc)) from exc

        try:
            return await settle_child(self._contention, attempt, f"{self.schema.name} create")
        except LimitExceeded:
            # A quota checked before the commit (a run's) must not hide the first result of
            # a retried create: the key's record says what it made.
            if idempotency_key is None or isinstance(context, PlatformContext):
                raise
            operation = f"{self.schema.name}.create"
            earlier = await self._idempotency.replay(
                context, idempotency_key, operation, fingerprint(operation, data)
            )
            if earlier is None:
                raise
            return self._present(earlier)

    async def _create_once(self, context: Context, data: Any, idempotency_key: str | None) -> E:
        entity = await self._build(context, data)
        with writer(context):
            uow = self._store.unit_of_work()
            await self._dependents.require_parents(uow, self.schema, entity)
            uow.put(entity, condition=ABSENT)
            await self._also_on_create(uow, context, entity)
            if isinstance(context, PlatformContext):
                await uow.commit()
                return self._present(entity)
            created = await self._idempotency.commit_once(
                context, idempotency_key, f"{self.schema.name}.create", data, uow, entity
            )
        return self._present(created)

    async def update(
        self,
        context: Actor,
        *key_and_changes: KeyAndChanges,
        expected_updated_at: OptionalMoment = None,
    ) -> E:
        """Change the given fields of the record (``None`` clears a nullable one); keys and
        managed fields cannot change. A stale ``expected_updated_at`` is
        ``ConditionFailed``."""
        key, changes = self._split(key_and_changes)
        if expected_updated_at is not None and not isinstance(expected_updated_at, datetime):
            raise ValidationError("expected_updated_at", "must be a datetime")
        refuse_managed(changes, set(self.schema.key_fields) | self.managed_fields())
        changes = self.spec.rules.normalise(changes)
        tenant = self._tenant(context)

        async def attempt() -> E:
            current = await self._records.get(tenant, key)
            stamp = getattr(current, "updated_at", None)
            if expected_updated_at is not None and stamp != expected_updated_at:
                raise ConditionFailed(f"{self.schema.name} {key} was updated since")
            changed: E = self.spec.rules.changed(
                current, self._apply(context, current, changes), changes
            )
            if self._completes_on(changes):
                changed = await self._complete(context, changed)
            condition = (
                Condition.present(updated_at=stamp) if stamp is not None else Condition.present()
            )
            with writer(context):
                uow = self._store.unit_of_work()
                uow.put(changed, condition=condition)
                await self._also_on_update(uow, context, current, changed)
                await commit_or_lose(uow)
            return changed

        return self._present(await settle(self._contention, attempt, f"{self.schema.name} {key}"))

    async def delete(self, context: Actor, *key: KeyPart, cascade: Flag = False) -> None:
        """Delete the record; ``HasDependents`` while it has dependents, unless
        ``cascade=True``, which removes them too (atomically when they fit one unit of
        work, else deepest first in batches: calling it again finishes an interrupted
        cascade)."""
        if not isinstance(cascade, bool):
            raise ValidationError("cascade", "must be a bool")
        checked = self._key(key)
        tenant = self._tenant(context)

        async def attempt() -> None:
            current = await self._records.get(tenant, checked)
            with writer(context):
                await self._delete(tenant, current, cascade)

        await settle_cascade(self._contention, attempt, f"{self.schema.name} {checked}")

    # -- the shared machinery ------------------------------------------------------------

    async def _delete(self, tenant: PartitionKey, current: Any, cascade: bool) -> None:
        """Delete ``current`` (guarded), with what goes with it; with ``cascade``, its owned
        subtree too (:class:`Cascade`)."""
        condition = self._delete_condition(current)
        await self._cascade.delete(
            self.schema, tenant, current, condition, self._also_on_delete, cascade=cascade
        )

    def _delete_condition(self, current: Any) -> Condition:
        """What the record must still be when its delete commits (there, by default)."""
        return PRESENT

    def _also_on_delete(self, uow: UnitOfWork, tenant: PartitionKey) -> None:
        """Further actions of the unit of work that deletes the record (a counter)."""

    def _key(self, key: Sequence[Any]) -> EntityKey:
        return self.schema.check_key(tuple(key))

    def _split(self, key_and_changes: Sequence[Any]) -> tuple[EntityKey, Mapping[str, Any]]:
        *key, changes = key_and_changes or (None,)
        if not isinstance(changes, Mapping):
            raise ValidationError("changes", "the last argument must be a mapping of changes")
        for name in changes:
            if not isinstance(name, str):
                raise ValidationError("changes", "field names must be strings")
        return self._key(key), changes

    @classmethod
    def managed_fields(cls) -> set[str]:
        """Fields only the package sets, besides keys and audit fields (a caller giving one
        is refused by name); a fact of the class, so request models read it too."""
        return set(cls.spec.managed)

    def _managed(self, context: Context, data: Mapping[str, Any]) -> dict[str, Any]:
        """The package's values for a new record: every key part the caller does not give
        as a parent's (all of them for a natural key); a caller-chosen id (``create``'s
        ``id``) instead of a fresh one."""
        keys = package_keys(self.spec, data)
        chosen = chosen_id()
        if chosen is not None:
            keys[self.schema.range_key] = chosen
        return keys

    async def _build(self, context: Context, data: Mapping[str, Any]) -> E:
        """A new record from caller ``data``, completed from other records."""
        return await self._complete(context, self._build_plain(context, data))

    def _build_plain(self, context: Context, data: Mapping[str, Any]) -> E:
        """A new record from caller ``data`` and the package's fields alone."""
        managed = self._managed(context, data)
        rules: EntityRules[E] = self.spec.rules
        return built(
            self.schema,
            rules,
            data,
            tenant=None if self.schema.platform else self._tenant(context),
            updated_by=updated_by(context),
            managed=managed,
            also_managed=self.managed_fields(),
        )

    def _apply(self, context: Context, current: E, changes: Mapping[str, Any]) -> E:
        """``current`` with ``changes`` (validated as a whole record) and fresh audit fields."""
        return revised(self.schema, current, changes, updated_by=updated_by(context))

    # -- hooks ----------------------------------------------------------------------------

    async def _also_on_update(
        self, uow: UnitOfWork, context: Context, current: E, changed: E
    ) -> None:
        """Further actions of an update's unit of work (usage metering)."""

    async def _complete(self, context: Context, entity: E) -> E:
        """A built or changed record completed from other records (compilation)."""
        return entity

    def _completes_on(self, changes: Mapping[str, Any]) -> bool:
        """Whether an update with ``changes`` completes the record again (``completes_on``
        of the spec)."""
        fields = self.spec.completes_on
        return fields is None or bool(fields & changes.keys())

    async def _also_on_create(self, uow: UnitOfWork, context: Context, entity: E) -> None:
        """Further actions of a create's unit of work (a counter)."""

    def _present(self, entity: E) -> E:
        """What callers see of a record (a public view hides secrets)."""
        return public_view(entity)  # type: ignore[no-any-return]
