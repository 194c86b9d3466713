"""Wizards, wizard schemas and wizard groups: normalised list items, and the two writes
that span records, each one unit of work (services.md, "Wizards", "Wizard groups")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from aace.application.services.arguments import Id, Input, Inputs, checked_entry_points
from aace.application.services.contention import commit_or_lose, settle
from aace.application.services.entity import EntityService, ServiceSpec
from aace.application.services.generated import NaturalKeyService
from aace.application.services.listing import Listing, eq
from aace.application.settings import Settings
from aace.domain.entities import (
    ELEMENTS,
    WIZARD_GROUPS,
    WIZARD_SCHEMAS,
    WIZARDS,
    Element,
    Wizard,
    WizardGroup,
)
from aace.domain.errors import ValidationError
from aace.domain.ports import ABSENT, ANY, PRESENT, Condition, Store, UnitOfWork
from aace.domain.tenancy import TenantContext
from aace.domain.wizards import normalise

__all__ = ["SavedWizardGroup", "WizardGroupService", "WizardSchemaService", "WizardService"]


class _Normalising:
    """Stores list items in their normal shape on create and update."""

    def _prepare(self, data: Mapping[str, Any]) -> Mapping[str, Any]:
        return normalise(data)


@checked_entry_points
class WizardService(_Normalising, EntityService[Wizard]):
    """Wizards: ``wizard_attributes`` stored as ``{name, value}``, ``wizard_elements`` as
    ``{element_uuid, required, placeholder}``."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        WIZARDS,
        Listing(
            {"wizard_type": eq("wizard_type"), "wizard_title": eq("wizard_title")},
            descending=True,
        ),
    )


@checked_entry_points
class WizardSchemaService(_Normalising, NaturalKeyService[Any]):
    """Wizard schemas (a platform registry keyed by type and name): ``attributes`` and
    ``attribute_groups`` stored in their normal shape."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        WIZARD_SCHEMAS,
        Listing(
            {
                "wizard_schema_type": eq("wizard_schema_type"),
                "wizard_schema_name": eq("wizard_schema_name"),
            }
        ),
        natural_key=True,
    )


@attrs.frozen
class SavedWizardGroup:
    """What :meth:`WizardGroupService.save_with_wizards` wrote."""

    group: WizardGroup
    wizards: list[Wizard]
    elements: list[Element]


def _unchanged(record: Any) -> Condition:
    return Condition.present(updated_at=record.updated_at)


@checked_entry_points
class WizardGroupService(EntityService[WizardGroup]):
    """Wizard groups, with :meth:`save_with_wizards` and :meth:`remove_wizard`."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        WIZARD_GROUPS,
        Listing({"wizard_group_name": eq("wizard_group_name")}, descending=True),
    )

    def __init__(self, store: Store, settings: Settings) -> None:
        super().__init__(store, settings)
        self._builders: dict[str, EntityService[Any]] = {
            "elements": _ElementBuilder(store, settings),
            "wizards": WizardService(store, settings),
        }

    async def save_with_wizards(
        self, context: TenantContext, group: Input, wizards: Inputs
    ) -> SavedWizardGroup:
        """Create or update the group and its wizards in one unit of work: inline elements
        (an item ``{"element": {...}}`` in a wizard's ``wizard_elements``) are created or
        updated, then the wizards (updated when they name a ``wizard_uuid``), the group's
        ``wizard_uuids`` set to them, and wizards that left the group deleted.
        ``TransactionTooLarge`` before anything is written when it cannot be atomic."""

        async def attempt() -> SavedWizardGroup:
            uow = self._store.unit_of_work()
            elements: list[Element] = []
            saved: list[Wizard] = []
            for position, wizard in enumerate(wizards):
                items = []
                for number, item in enumerate(wizard.get("wizard_elements") or []):
                    name = f"wizards[{position}].wizard_elements[{number}]"
                    item = await self._inline_element(context, uow, name, item, elements)
                    items.append(item)
                data = {**wizard, "wizard_elements": items}
                saved.append(await self._save(context, uow, WIZARDS, "wizard_uuid", data))
            members = [w.wizard_uuid for w in saved]
            previous = await self._existing(context, WIZARD_GROUPS, "wizard_group_uuid", group)
            data = {**group, "wizard_uuids": members}
            if "wizard_uuids" in group:
                raise ValidationError("group.wizard_uuids", "is set from the wizards given")
            written = await self._save(context, uow, WIZARD_GROUPS, "wizard_group_uuid", data)
            for left in set(previous.wizard_uuids or []) - set(members) if previous else ():
                uow.delete(WIZARDS, context.partition_key, (left,), condition=ANY)
            await commit_or_lose(uow)
            return SavedWizardGroup(written, saved, elements)

        return await settle(self._contention, attempt, "wizard group")

    async def remove_wizard(
        self, context: TenantContext, wizard_group_uuid: Id, wizard_uuid: Id
    ) -> WizardGroup:
        """Take the wizard out of the group and delete it, together. The wizard must be in
        the group (``ValidationError``) and exist (``NotFound``)."""
        tenant = context.partition_key

        async def attempt() -> WizardGroup:
            group = await self._records.get(tenant, (wizard_group_uuid,))
            if wizard_uuid not in (group.wizard_uuids or []):
                raise ValidationError("wizard_uuid", f"is not in wizard group {wizard_group_uuid}")
            await self._store.repository(WIZARDS).get(tenant, (wizard_uuid,))
            changed = self._apply(
                context,
                group,
                {"wizard_uuids": [u for u in group.wizard_uuids or [] if u != wizard_uuid]},
            )
            uow = self._store.unit_of_work()
            uow.put(changed, condition=_unchanged(group))
            uow.delete(WIZARDS, tenant, (wizard_uuid,), condition=PRESENT)
            await commit_or_lose(uow)
            return changed

        return await settle(self._contention, attempt, f"wizard group {wizard_group_uuid}")

    async def _inline_element(
        self,
        context: TenantContext,
        uow: UnitOfWork,
        name: str,
        item: Any,
        elements: list[Element],
    ) -> Any:
        if not isinstance(item, Mapping):
            raise ValidationError(name, "must be a mapping")
        inline = item.get("element")
        if inline is None:
            if item.get("element_uuid") is None:
                raise ValidationError(name, "needs an element_uuid or an inline element")
            return item
        if not isinstance(inline, Mapping):
            raise ValidationError(f"{name}.element", "must be a mapping")
        element = await self._save(context, uow, ELEMENTS, "element_uuid", inline)
        elements.append(element)
        rest = {k: v for k, v in item.items() if k != "element"}
        return {**rest, "element_uuid": element.element_uuid}

    async def _existing(
        self, context: TenantContext, schema: Any, key: str, data: Mapping[str, Any]
    ) -> Any:
        if data.get(key) is None:
            return None
        return await self._store.repository(schema).get(context.partition_key, (data[key],))

    async def _save(
        self, context: TenantContext, uow: UnitOfWork, schema: Any, key: str, data: Any
    ) -> Any:
        """Add the create (no ``key`` in ``data``) or the update of one record to ``uow``;
        ``TransactionTooLarge`` as soon as the unit would not fit (nothing is written)."""
        service = self if schema is WIZARD_GROUPS else self._builders[schema.name]
        current = await self._existing(context, schema, key, data)
        if current is None:
            record = await service._build(context, {k: v for k, v in data.items() if k != key})
            uow.put(record, condition=ABSENT)
        else:
            changes = service._prepare({k: v for k, v in data.items() if k != key})
            record = service._apply(context, current, changes)
            uow.put(record, condition=_unchanged(current))
        return record


class _ElementBuilder(EntityService[Element]):
    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(ELEMENTS)
