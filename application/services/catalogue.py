"""The services that are their description alone, and the versioned catalogue (prompt
templates, flow snippets with re-pointing). Rules of their own live in
:mod:`.conversation`, :mod:`.agents` and :mod:`.mcp_servers`."""

from __future__ import annotations

from typing import Any, ClassVar

from injector import inject

from aace.application.services.agents import AgentService
from aace.application.services.arguments import Actor, Flag, Id, KeyPart, checked_entry_points
from aace.application.services.entity import EntityService, ServiceSpec, writer
from aace.application.services.generated import NaturalKeyService
from aace.application.services.listing import Listing, at_least, at_most, contains, eq, one_of
from aace.application.services.versioned import VersionedService, Versioning
from aace.application.settings import Settings
from aace.domain.entities import (
    AGENTS,
    ELEMENTS,
    FINE_TUNING_MESSAGES,
    FLOW_SNIPPETS,
    LLMS,
    PROMPT_TEMPLATES,
    UI_COMPONENTS,
    WIZARD_GROUP_FILTERS,
    Element,
    FineTuningMessage,
    FlowSnippet,
    Llm,
    PromptTemplate,
    UiComponent,
    WizardGroupFilter,
)
from aace.domain.errors import HasDependents
from aace.domain.ports import Store
from aace.domain.tenancy import PlatformContext, TenantContext

__all__ = [
    "ElementService",
    "FineTuningMessageService",
    "FlowSnippetService",
    "LlmService",
    "PromptTemplateService",
    "UiComponentService",
    "WizardGroupFilterService",
]


class ElementService(EntityService[Element]):
    """The elements a wizard is built of."""

    spec = ServiceSpec(
        ELEMENTS,
        Listing(
            {"data_type": eq("data_type"), "attribute_name": eq("attribute_name")},
            descending=True,
        ),
    )


class UiComponentService(EntityService[UiComponent]):
    """The platform's UI components registry."""

    spec = ServiceSpec(
        UI_COMPONENTS,
        Listing(
            {
                "ui_component_type": eq("ui_component_type"),
                "tag_name_contains": contains("tag_name"),
            }
        ),
    )


class WizardGroupFilterService(EntityService[WizardGroupFilter]):
    """Wizard group filters."""

    spec = ServiceSpec(
        WIZARD_GROUP_FILTERS,
        Listing(
            {
                "wizard_group_filter_name": eq("wizard_group_filter_name"),
                "region": eq("region"),
                "wizard_group_uuid": eq("wizard_group_uuid"),
            },
            descending=True,
        ),
    )


class FineTuningMessageService(NaturalKeyService[FineTuningMessage]):
    """Fine-tuning messages, keyed by the caller's agent and message ids."""

    spec = ServiceSpec(
        FINE_TUNING_MESSAGES,
        Listing(
            {
                "agent_uuid": eq("agent_uuid"),
                "thread_uuid": eq("thread_uuid"),
                "roles": one_of("role"),
                "trained": eq("trained"),
                "timestamp_from": at_least("timestamp"),
                "timestamp_to": at_most("timestamp"),
            },
            order="timestamp",
        ),
        natural_key=True,
        managed=frozenset({"timestamp"}),  # epoch seconds, set by the package
    )


@checked_entry_points
class LlmService(NaturalKeyService[Llm]):
    """The models the platform offers (a registry: any tenant reads, only a
    ``PlatformContext`` writes). ``delete`` is refused while an agent of any tenant names
    the model: it reads agents across tenants (on DynamoDB a Scan of the agents table
    until a match, so every agent item when none names it)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        LLMS,
        Listing(
            {
                "llm_provider": eq("llm_provider"),
                "module_name": eq("module_name"),
                "class_name": eq("class_name"),
            }
        ),
        natural_key=True,
    )

    async def delete(self, context: Actor, *key: KeyPart, cascade: Flag = False) -> None:
        """Delete the model (``Forbidden`` for a tenant); ``HasDependents`` while an agent
        of any tenant names it (``cascade`` never deletes agents)."""
        provider, name = self._key(key)
        if isinstance(context, PlatformContext):
            agents = self._store.repository(AGENTS)
            with writer(context):
                named = await agents.exists_in_any_tenant(
                    {"llm_provider": provider, "llm_name": name}
                )
            if named:
                raise HasDependents(f"llm {provider}/{name} is still named by agents")
        await super().delete(context, *key, cascade=False)


@checked_entry_points
class PromptTemplateService(VersionedService[PromptTemplate]):
    """Prompt templates and their versions."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        PROMPT_TEMPLATES,
        Listing(
            {
                "prompt_uuid": eq("prompt_uuid"),
                "prompt_type": eq("prompt_type"),
                "prompt_name_contains": contains("prompt_name"),
                "statuses": one_of("status"),
            }
        ),
    )
    versioning = Versioning("prompt_uuid", "prompt_name")


@checked_entry_points
class FlowSnippetService(VersionedService[FlowSnippet]):
    """Flow snippets and their versions. A new active version re-points every agent of
    the tenant whose active version used the old one (:meth:`repoint`)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        FLOW_SNIPPETS,
        Listing(
            {
                "flow_snippet_uuid": eq("flow_snippet_uuid"),
                "prompt_uuid": eq("prompt_uuid"),
                "flow_name_contains": contains("flow_name"),
                "statuses": one_of("status"),
            }
        ),
    )
    versioning = Versioning("flow_snippet_uuid", "flow_name")

    @inject
    def __init__(self, store: Store, settings: Settings, agents: AgentService) -> None:
        super().__init__(store, settings)
        self._agents = agents

    async def repoint(
        self, context: TenantContext, old_version_uuid: Id, new_version_uuid: Id
    ) -> int:
        """Give every agent whose active version points at ``old_version_uuid`` a new
        active version pointing at ``new_version_uuid``, recompiled: all of them, in units
        of work of at most the backend's atomic size. Returns how many it moved; calling
        it again after an interruption finishes the job and changes nothing twice
        (``agents.repoint``)."""
        return await self._agents.repoint(context, old_version_uuid, new_version_uuid)

    async def _after_version_change(self, context: TenantContext, old: Any, new: Any) -> None:
        """The agents of the version that was active follow the active version of the new
        version's snippet, also when a later activation overtakes this one or the new
        version is deleted before its re-pointing reads it (``agents.repoint``'s
        ``follow_snippet``)."""
        await self._agents.repoint(
            context,
            old.flow_snippet_version_uuid,
            new.flow_snippet_version_uuid,
            follow_snippet=new.flow_snippet_uuid,
        )
