"""The platform registries as data: no tenant in their schemas or records, the operator's
PlatformContext, and the writer rule that refuses a tenant (behaviour.md §2)."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import pytest

from aace import Forbidden, PlatformContext
from aace.domain.entities import (
    ALL_SCHEMAS,
    FINE_TUNING_MESSAGES,
    LLMS,
    PLATFORM_SCHEMAS,
    FineTuningMessage,
    Llm,
)
from aace.domain.errors import AaceError, ValidationError
from aace.domain.schema import TENANT_ATTRS, EntitySchema, TableGroup
from aace.domain.tenancy import PartitionKey, TenantContext, as_operator, current_operator
from aace.domain.unit_of_work import check_writer


def test_the_registries_are_the_platform_schemas_and_have_no_tenant() -> None:
    assert {s.name for s in ALL_SCHEMAS if s.platform} == {
        "llms",
        "ui_components",
        "wizard_schemas",
        "migration_state",  # the migration tool's, written under the operator's context
    }
    for schema in PLATFORM_SCHEMAS:
        assert not schema.tenant_hashed
        assert not schema.tenant_checked
        assert not set(TENANT_ATTRS) & set(schema.attribute_kinds)
    assert FINE_TUNING_MESSAGES.tenant_checked
    assert not FINE_TUNING_MESSAGES.platform


def test_a_schema_must_say_honestly_whether_it_has_a_tenant() -> None:
    with pytest.raises(ValueError, match="must not have a tenant key"):
        EntitySchema(
            "x", FineTuningMessage, TableGroup.AGENT, "agent_uuid", "message_uuid", platform=True
        )
    with pytest.raises(ValueError, match="declare it platform=True"):
        EntitySchema("x", Llm, TableGroup.AGENT, "llm_provider", "llm_name")


def test_fine_tuning_fields_follow_the_value_rules() -> None:
    tenant = PartitionKey("ep", "acme")
    message = FineTuningMessage(
        partition_key=tenant,
        agent_uuid="a",
        message_uuid="m",
        thread_uuid="t",
        role="user",
        updated_by="me",
    )
    assert isinstance(message.timestamp, int)
    assert message.timestamp > 1_700_000_000
    assert (message.weight, message.trained, message.tool_calls) == (0, False, None)
    wrong: list[tuple[str, Any]] = [
        ("trained", 1),
        ("timestamp", 1.5),
        ("timestamp", -1),
        ("role", " "),
    ]
    for field, value in wrong:
        with pytest.raises(ValidationError) as caught:
            attrs.evolve(message, **{field: value})
        assert caught.value.field == field


def test_a_platform_context_names_its_operator() -> None:
    assert PlatformContext("ops@example.com").updated_by == "ops@example.com"
    for bad in ("", "  ", 5):
        with pytest.raises(ValidationError):
            PlatformContext(bad)  # type: ignore[arg-type]  # bad on purpose
    assert issubclass(Forbidden, AaceError)


def test_only_a_platform_context_enters_the_writer_block() -> None:
    tenant = TenantContext.from_request("ep", "acme")
    with pytest.raises(Forbidden), as_operator(tenant):  # type: ignore[arg-type]  # on purpose
        pass
    assert current_operator() is None


@pytest.mark.parametrize("schema", PLATFORM_SCHEMAS, ids=lambda s: s.name)
def test_a_registry_write_needs_the_block_and_it_ends_with_the_block(
    schema: EntitySchema[Any],
) -> None:
    with pytest.raises(Forbidden, match="only a PlatformContext"):
        check_writer(schema)
    operator = PlatformContext("ops")
    with as_operator(operator) as actor:
        assert actor is operator
        assert current_operator() is operator
        check_writer(schema)
        check_writer(LLMS)
    with pytest.raises(Forbidden):
        check_writer(schema)


def test_tenant_tables_take_their_writer_from_the_record() -> None:
    for schema in ALL_SCHEMAS:
        if not schema.platform:
            check_writer(schema)


@pytest.mark.anyio
async def test_the_writer_does_not_leak_into_concurrent_tasks() -> None:
    seen: list[PlatformContext | None] = []
    looked = asyncio.Event()

    async def outside() -> None:
        seen.append(current_operator())
        looked.set()

    task = asyncio.get_running_loop().create_task(outside())
    with as_operator(PlatformContext("ops")):
        await looked.wait()  # the other task looks while the operator is set here
    await task
    assert seen == [None]
