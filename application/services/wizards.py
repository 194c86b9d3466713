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
from aace.application.services.inputs import new_record, revised
from aace.application.services.listing import Listing, eq
from aace.domain.entities import (
    ELEMENTS,
    WIZARD_GROUPS,
    WIZARD_SCHEMAS,
    WIZARDS,
    Element,
    Wizard,
    WizardGroup,
    WizardSchema,
)
from aace.domain.entities.base import WebRecord
from aace.domain.ports import ABSENT, ANY, PRESENT, Condition, UnitOfWork
from aace.domain.tenancy import TenantContext
from aace.domain.wizards import (
    WIZARD_RULES,
    check_group_input,
    departed,
    inline_element,
    with_element,
    without_wizard,
)

__all__ = ["SavedWizardGroup", "WizardGroupService", "WizardSchemaService", "WizardService"]


@checked_entry_points
class WizardService(EntityService[Wizard]):
    """Wizards: ``wizard_attributes`` stored as ``{name, value}``, ``wizard_elements`` as
    ``{element_uuid, required, placeholder}``."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        WIZARDS,
        Listing(
            {"wizard_type": eq("wizard_type"), "wizard_title": eq("wizard_title")},
            descending=True,
        ),
        rules=WIZARD_RULES,
    )


@checked_entry_points
class WizardSchemaService(NaturalKeyService[WizardSchema]):
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
        rules=WIZARD_RULES,
    )


#: What :meth:`WizardGroupService.save_with_wizards` builds besides groups, by entity.
_MEMBER_SPECS: dict[str, ServiceSpec[Any]] = {
    "elements": ServiceSpec(ELEMENTS),
    "wizards": WizardService.spec,
}


@attrs.frozen
class SavedWizardGroup(WebRecord):
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
            check_group_input(group)
            written = await self._save(context, uow, WIZARD_GROUPS, "wizard_group_uuid", data)
            for left in departed(previous.wizard_uuids, members) if previous else ():
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
            members = without_wizard(wizard_group_uuid, group.wizard_uuids, wizard_uuid)
            await self._store.repository(WIZARDS).get(tenant, (wizard_uuid,))
            changed = self._apply(context, group, {"wizard_uuids": members})
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
        inline = inline_element(name, item)
        if inline is None:
            return item
        element = await self._save(context, uow, ELEMENTS, "element_uuid", inline)
        elements.append(element)
        return with_element(item, element.element_uuid)

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
        spec = self.spec if schema is WIZARD_GROUPS else _MEMBER_SPECS[schema.name]
        current = await self._existing(context, schema, key, data)
        given = {k: v for k, v in data.items() if k != key}
        if current is None:
            record = new_record(spec, context, given)
            uow.put(record, condition=ABSENT)
        else:
            changes = spec.rules.normalise(given)
            record = revised(spec.schema, current, changes, updated_by=context.updated_by)
            uow.put(record, condition=_unchanged(current))
        return record
