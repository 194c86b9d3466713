"""MCP servers (credentials only on request), wizards (normalised), wizard groups (saved
and shrunk as one unit of work), on every adapter."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.services import McpServerView
from aace.application.settings import Settings
from aace.domain.errors import HasDependents, NotFound, TransactionTooLarge, ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext
from tests.integration.records import minimal

pytestmark = pytest.mark.anyio


async def test_mcp_headers_only_come_from_credentials(app: Any, context: TenantContext) -> None:
    data = await minimal(app, context, "mcp_servers")
    created = await app.mcp_servers.create(context, data)
    assert isinstance(created, McpServerView)
    assert not hasattr(created, "headers")
    assert "s3cret" not in repr(created)
    key = created.mcp_server_uuid
    for seen in (
        await app.mcp_servers.get(context, key),
        (await app.mcp_servers.list(context, mcp_label="search")).items[0],
        (await app.mcp_servers.get_many(context, [key]))[0],
        await app.mcp_servers.update(context, key, {"mcp_label": "search"}),
    ):
        assert isinstance(seen, McpServerView)
    assert await app.mcp_servers.credentials(context, key) == data["headers"]
    with pytest.raises(NotFound):
        await app.mcp_servers.credentials(context, "nowhere")


async def test_internal_mcp_is_formatted_per_tenant_without_changing_settings(
    store: Store, context: TenantContext
) -> None:
    settings = Settings(
        internal_mcp_url="https://mcp.invalid/{endpoint_id}/mcp",
        internal_mcp_headers={"X-Api-Key": "k"},
        internal_mcp_bearer_token="tok",
    )
    services = wire_services(settings, store)
    internal = await services["mcp_servers"].internal_mcp(context)
    assert internal.base_url == f"https://mcp.invalid/{context.endpoint_id}/mcp"
    assert internal.headers == {
        "X-Api-Key": "k",
        "X-Part-ID": context.part_id,
        "Part-Id": context.part_id,
        "Authorization": "Bearer tok",
    }
    assert "tok" not in repr(internal)
    assert settings.internal_mcp_headers == {"X-Api-Key": "k"}
    assert await wire_services(Settings(), store)["mcp_servers"].internal_mcp(context) is None


async def test_wizard_items_are_normalised(app: Any, context: TenantContext) -> None:
    wizard = await app.wizards.create(
        context,
        {
            **(await minimal(app, context, "wizards")),
            "wizard_attributes": [{"name": "size", "extra": 1}],
            "wizard_elements": [{"element_uuid": "e1", "required": True}],
        },
    )
    assert wizard.wizard_attributes == [{"name": "size", "value": None}]
    assert wizard.wizard_elements == [
        {"element_uuid": "e1", "required": True, "placeholder": None}
    ]
    with pytest.raises(ValidationError) as caught:
        await app.wizards.update(context, wizard.wizard_uuid, {"wizard_elements": [{}]})
    assert caught.value.field == "wizard_elements[0].element_uuid"


async def test_save_with_wizards_then_remove_one(app: Any, context: TenantContext) -> None:
    element = {
        "data_type": "text",
        "element_title": "Name",
        "attribute_name": "n",
        "attribute_type": "string",
    }
    base = await minimal(app, context, "wizards")
    saved = await app.wizard_groups.save_with_wizards(
        context,
        {"wizard_group_name": "Onboarding"},
        [
            {**base, "wizard_title": "A", "wizard_elements": [{"element": element}]},
            {**base, "wizard_title": "B"},
        ],
    )
    group = saved.group
    assert [w.wizard_title for w in saved.wizards] == ["A", "B"]
    assert group.wizard_uuids == [w.wizard_uuid for w in saved.wizards]
    (made,) = saved.elements
    assert saved.wizards[0].wizard_elements == [
        {"element_uuid": made.element_uuid, "required": False, "placeholder": None}
    ]
    assert await app.elements.get(context, made.element_uuid) == made
    # Saving again without B updates A and deletes B, together.
    first, second = saved.wizards
    again = await app.wizard_groups.save_with_wizards(
        context,
        {"wizard_group_uuid": group.wizard_group_uuid, "wizard_group_name": "Renamed"},
        [{"wizard_uuid": first.wizard_uuid, "wizard_title": "A2"}],
    )
    assert again.group.wizard_group_name == "Renamed"
    assert again.group.wizard_uuids == [first.wizard_uuid]
    assert (await app.wizards.get(context, first.wizard_uuid)).wizard_title == "A2"
    assert await app.wizards.find(context, second.wizard_uuid) is None
    with pytest.raises(ValidationError) as caught:
        await app.wizard_groups.remove_wizard(context, group.wizard_group_uuid, "not-in-it")
    assert caught.value.field == "wizard_uuid"
    shrunk = await app.wizard_groups.remove_wizard(
        context, group.wizard_group_uuid, first.wizard_uuid
    )
    assert shrunk.wizard_uuids == []
    assert await app.wizards.find(context, first.wizard_uuid) is None


async def test_save_with_wizards_too_large_writes_nothing(
    app: Any, context: TenantContext
) -> None:
    base = await minimal(app, context, "wizards")
    limit = app.wizard_groups._store.unit_of_work().max_actions
    with pytest.raises(TransactionTooLarge):
        await app.wizard_groups.save_with_wizards(
            context, {"wizard_group_name": "Huge"}, [base] * limit
        )
    assert await app.wizards.count(context) == 0
    assert await app.wizard_groups.count(context) == 0


async def test_wizard_schemas_are_normalised(app: Any, context: TenantContext) -> None:
    from tests.integration.records import OPERATOR

    schema = await app.wizard_schemas.create(
        OPERATOR,
        {
            **(await minimal(app, context, "wizard_schemas")),
            "attributes": [{"name": "size", "attribute_type": "number"}],
            "attribute_groups": [{"name": "main"}],
        },
    )
    assert schema.attributes == [
        {
            "name": "size",
            "attribute_type": "number",
            "required": False,
            "options": [],
            "pattern": "",
            "col": "",
            "label": "",
            "group_name": "",
        }
    ]
    assert schema.attribute_groups == [{"name": "main", "label": ""}]
    await app.wizard_schemas.delete(OPERATOR, schema.wizard_schema_type, schema.wizard_schema_name)


async def test_an_llm_named_by_any_tenants_agent_is_not_deleted(
    app: Any, context: TenantContext, other_context: TenantContext
) -> None:
    from tests.integration.records import AGENT, OPERATOR

    data = await minimal(app, context, "llms")
    llm = await app.llms.create(OPERATOR, data)
    agent = await app.agents.create(
        other_context, {**AGENT, "llm_provider": llm.llm_provider, "llm_name": llm.llm_name}
    )
    with pytest.raises(HasDependents):
        await app.llms.delete(OPERATOR, llm.llm_provider, llm.llm_name)
    assert await app.llms.get(context, llm.llm_provider, llm.llm_name) == llm
    await app.agents.delete(other_context, agent.agent_version_uuid)
    await app.llms.delete(OPERATOR, llm.llm_provider, llm.llm_name)
    assert await app.llms.find(context, llm.llm_provider, llm.llm_name) is None
