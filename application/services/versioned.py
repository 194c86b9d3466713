"""One versioning mechanism for agents, prompt templates and flow snippets (behaviour.md
§3): a stable id, one record per version, exactly one active version while any exists,
under any interleaving of concurrent calls."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

import attrs
from injector import inject

from aace.application.services.arguments import (
    Actor,
    Cursor,
    Flag,
    Id,
    Includes,
    Input,
    KeyPart,
    OptionalFlag,
    OptionalId,
    PageSize,
    checked_entry_points,
)
from aace.application.services.cascade import settle_cascade
from aace.application.services.contention import WriterQueues, commit_or_lose, settle
from aace.application.services.entity import EntityService, new_id, tenant_of
from aace.application.services.inputs import MANAGED_FIELDS
from aace.application.settings import Settings
from aace.domain.errors import NotFound, ValidationError
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, Condition, Store, UnitOfWork, read_all
from aace.domain.query import Page, Query, RangeCondition
from aace.domain.records import to_record
from aace.domain.tenancy import TenantContext

__all__ = ["Versioning", "VersionedService"]

E = TypeVar("E")


@attrs.frozen
class Versioning:
    """The names a versioned entity uses: its stable id, its name (``duplicate`` appends
    `` (Copy)``) and the index that lists its versions."""

    stable_id: str
    name_field: str

    @property
    def index(self) -> str:
        return f"{self.stable_id}-index"


def unchanged(version: Any) -> Condition:
    """The version is still as it was read (status and last update)."""
    return Condition.present(status=version.status, updated_at=version.updated_at)


def _active_of(versions: list[Any]) -> Any:
    for version in versions:
        if version.status == "active":
            return version
    return max(versions, key=lambda v: v.updated_at)  # only for data written elsewhere


@checked_entry_points
class VersionedService(EntityService[E]):
    """The verbs of every service plus ``new_version``, ``activate``, ``active``,
    ``versions``, ``duplicate``, ``list_active`` and ``count_active``; ``create`` always
    starts a new entity and ``delete`` deletes one version. Every change of versions is
    one unit of work whose conditions re-check what was read; a change that loses a race
    reads again and retries until the contention deadline."""

    versioning: ClassVar[Versioning]

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._writers = WriterQueues()

    @property
    def _positional_names(self) -> Mapping[str, str]:
        """How a positional ``stable_id`` / ``version_id`` is named in errors: as the entity
        names it (agents: ``agent_uuid``, ``agent_version_uuid``), see ``arguments``."""
        return {"stable_id": self.versioning.stable_id, "version_id": self.schema.range_key}

    @classmethod
    def managed_fields(cls) -> set[str]:
        """Also the stable id and ``status``: versions are activated, never given a status."""
        return {*super().managed_fields(), cls.versioning.stable_id, "status"}

    def _managed(self, context: Any, data: Mapping[str, Any]) -> dict[str, Any]:
        return {
            self.schema.range_key: new_id(),
            self.versioning.stable_id: new_id(),
            "status": "active",
        }

    async def versions(self, context: Actor, stable_id: Id) -> list[E]:
        """Every version (``NotFound`` when there is none)."""
        query = Query(index=self.versioning.index, range=RangeCondition.eq(stable_id))
        versions = await read_all(self._records, tenant_of(context), query)
        if not versions:
            raise NotFound(f"{self.schema.name} {stable_id} not found")
        return versions

    async def active(self, context: Actor, stable_id: Id) -> E:
        """The active version, or ``NotFound``."""
        return self._present(_active_of(await self.versions(context, stable_id)))

    async def new_version(
        self, context: TenantContext, stable_id: OptionalId, changes: Input
    ) -> E:
        """Copy the active version, apply ``changes``, save it as the active version and
        deactivate the others, atomically. Without a stable id it starts a new entity; a
        stable id the tenant has no version of is ``NotFound`` (a mistyped id never starts
        an entity; without an active version, the latest version is the base)."""
        self._refuse_version_fields(changes)
        if stable_id is None:
            return await self.create(context, changes)

        async def attempt() -> E:
            versions = await self.versions(context, stable_id)
            base = _active_of(versions)
            fields = {
                k: v
                for k, v in attrs.asdict(base, recurse=False).items()
                if k not in MANAGED_FIELDS and k not in self._version_fields()
            }
            version = await self._build(context, {**fields, **changes})
            version = attrs.evolve(version, **{self.versioning.stable_id: stable_id})  # type: ignore[misc]
            uow = self._store.unit_of_work()
            uow.put(version, condition=ABSENT)
            self._deactivate(uow, context, versions, keep=None)
            await commit_or_lose(uow)
            await self._after_version_change(context, _active_of(versions), version)
            return version

        async with self._writers((context.partition_key, stable_id)):
            return self._present(await settle(self._contention, attempt, f"{stable_id}"))

    async def activate(self, context: TenantContext, version_id: Id) -> E:
        """Make this version the active one and deactivate the others, atomically."""
        tenant = context.partition_key

        async def attempt() -> tuple[Any, Any]:
            target = await self._records.get(tenant, (version_id,))
            if target.status == "active":
                return target, None
            versions = await self.versions(context, getattr(target, self.versioning.stable_id))
            activated = attrs.evolve(
                target, status="active", updated_at=utc_now(), updated_by=context.updated_by
            )
            uow = self._store.unit_of_work()
            uow.put(activated, condition=unchanged(target))
            self._deactivate(uow, context, versions, keep=version_id)
            await commit_or_lose(uow)
            return activated, _active_of(versions)

        activated, previous = await settle(self._contention, attempt, f"version {version_id}")
        if previous is not None:
            await self._after_version_change(context, previous, activated)
        return self._present(activated)

    async def duplicate(self, context: TenantContext, stable_id: Id) -> E:
        """A new entity (new stable id) from the active version, named ``"<name> (Copy)"``,
        active; the source is untouched."""
        base = _active_of(await self.versions(context, stable_id))
        fields = {
            k: v
            for k, v in attrs.asdict(base, recurse=False).items()
            if k not in MANAGED_FIELDS and k not in self._version_fields()
        }
        name = self.versioning.name_field
        fields[name] = f"{fields[name]} (Copy)"
        copy = await self.create(context, fields)
        await self._after_version_change(context, base, copy)
        return copy

    async def list_active(
        self,
        context: TenantContext,
        *,
        order_by: OptionalId = None,
        descending: OptionalFlag = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
        include: Includes = None,
        **filters: Any,
    ) -> Page[E]:
        """The active version of each entity (``include`` as for ``list``)."""
        if "statuses" in filters:
            raise ValidationError("statuses", "list_active lists active versions only")
        return await self.list(
            context,
            order_by=order_by,
            descending=descending,
            limit=limit,
            cursor=cursor,
            include=include,
            statuses=["active"],
            **filters,
        )

    async def count_active(self, context: TenantContext) -> int:
        """How many entities have an active version."""
        return await self.count(context, statuses=["active"])

    async def delete(self, context: Actor, *key: KeyPart, cascade: Flag = False) -> None:
        """Delete one version. Deleting the active one promotes the most recently updated
        remaining version; deleting the last one deletes the entity (guarded by its
        dependents, removed with it when ``cascade``)."""
        if not isinstance(cascade, bool):
            raise ValidationError("cascade", "must be a bool")
        (version_id,) = self._key(key)
        tenant = tenant_of(context)

        async def attempt() -> None:
            target = await self._records.get(tenant, (version_id,))
            versions = await self.versions(context, getattr(target, self.versioning.stable_id))
            remaining: list[Any] = [v for v in versions if self.schema.key_of(v) != (version_id,)]
            if not remaining:
                await self._delete(tenant, target, cascade)
                return
            uow = self._store.unit_of_work()
            guards = self._dependents.guards(
                self.schema, to_record(self.schema, target), last_version=False
            )  # dependents that name this very version (agents of a snippet version)
            uow.delete(
                self.schema, tenant, (version_id,), condition=unchanged(target), guards=guards
            )
            if target.status == "active":
                heir = max(remaining, key=lambda v: v.updated_at)
                promoted = attrs.evolve(heir, status="active", updated_at=utc_now())
                uow.put(promoted, condition=unchanged(heir))
            await commit_or_lose(uow)

        await settle_cascade(self._contention, attempt, f"version {version_id}")

    def _delete_condition(self, current: Any) -> Condition:
        """The last version's delete (``_delete_into``): still as it was read."""
        return unchanged(current)

    # -- helpers and hooks ---------------------------------------------------------------

    def _version_fields(self) -> set[str]:
        return {self.schema.range_key, self.versioning.stable_id, "status"}

    def _refuse_version_fields(self, changes: Mapping[str, Any]) -> None:
        if isinstance(changes, Mapping):
            for name in changes:
                if name in self._version_fields() or name in MANAGED_FIELDS:
                    raise ValidationError(name, "is set by the package, not by the caller")

    def _deactivate(
        self, uow: UnitOfWork, context: TenantContext, versions: list[Any], keep: str | None
    ) -> None:
        for version in versions:
            if version.status == "active" and self.schema.key_of(version) != (keep,):
                uow.put(
                    attrs.evolve(
                        version,
                        status="inactive",
                        updated_at=utc_now(),
                        updated_by=context.updated_by,
                    ),
                    condition=unchanged(version),
                )

    async def _after_version_change(self, context: TenantContext, old: Any, new: Any) -> None:
        """Called once a new version became active (re-pointing dependents)."""
