"""The platform registries: records that belong to the platform, not to a tenant.

Their tables have no tenant key (storage-layout.md, "Platform registries"): every tenant
reads them, only a ``PlatformContext`` writes them (behaviour.md §2). Each schema says so
with ``platform=True``; the entities carry no ``partition_key``.
"""

from __future__ import annotations

import attrs

from aace.domain.entities.base import AuditedPlatformEntity, lsi
from aace.domain.fields import (
    JsonList,
    JsonMap,
    id_field,
    json_list,
    json_map,
    optional_text,
    text,
)
from aace.domain.schema import EntitySchema, TableGroup

__all__ = [
    "LLMS",
    "PLATFORM_SCHEMAS",
    "UI_COMPONENTS",
    "WIZARD_SCHEMAS",
    "Llm",
    "UiComponent",
    "WizardSchema",
]


@attrs.frozen(kw_only=True)
class Llm(AuditedPlatformEntity):
    """A model the platform offers, keyed by its natural key (provider, name)."""

    llm_provider: str = id_field()
    llm_name: str = id_field()
    module_name: str = text(nonblank=True)
    class_name: str = text(nonblank=True)
    configuration_schema: JsonMap = json_map()


LLMS = EntitySchema(
    name="llms",
    entity=Llm,
    group=TableGroup.AGENT,
    hash_key="llm_provider",
    range_key="llm_name",
    indexes=(lsi("updated_at-index", "updated_at", hash_key="llm_provider"),),
    platform=True,
)


@attrs.frozen(kw_only=True)
class UiComponent(AuditedPlatformEntity):
    """A UI component prompt templates can name, grouped by type."""

    ui_component_type: str = id_field()
    ui_component_uuid: str = id_field()
    tag_name: str = text(nonblank=True)
    parameters: JsonList = json_list()
    wait_for: str | None = optional_text()


UI_COMPONENTS = EntitySchema(
    name="ui_components",
    entity=UiComponent,
    group=TableGroup.AGENT,
    hash_key="ui_component_type",
    range_key="ui_component_uuid",
    indexes=(lsi("updated_at-index", "updated_at", hash_key="ui_component_type"),),
    platform=True,
)


@attrs.frozen(kw_only=True)
class WizardSchema(AuditedPlatformEntity):
    """The attributes a wizard of this type and name asks for, keyed by its natural key."""

    wizard_schema_type: str = id_field()
    wizard_schema_name: str = id_field()
    wizard_schema_description: str | None = optional_text()
    attributes: JsonList = json_list()
    attribute_groups: JsonList = json_list()


WIZARD_SCHEMAS = EntitySchema(
    name="wizard_schemas",
    entity=WizardSchema,
    group=TableGroup.AGENT,
    hash_key="wizard_schema_type",
    range_key="wizard_schema_name",
    indexes=(lsi("updated_at-index", "updated_at", hash_key="wizard_schema_type"),),
    platform=True,
)

#: The platform registries, in storage-layout.md's order.
PLATFORM_SCHEMAS = (LLMS, UI_COMPONENTS, WIZARD_SCHEMAS)
