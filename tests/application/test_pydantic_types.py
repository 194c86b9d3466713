"""Records, ``Page[T]`` and ``Loaded[E]`` are pydantic v2 types as they are: a FastAPI app
importing nothing of aace's integrations returns them from routes annotated with them, in
the web shape, and its OpenAPI document describes them. Request models come from the
schemas and apply the domain's rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import attrs
import pytest

pytest.importorskip("fastapi")
import httpx
from fastapi import FastAPI
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticError
from pydantic_core import PydanticSerializationError

from aace import CheckResult, Health, HistoryEntry, InternalMcp, SavedWizardGroup, UsageCheck
from aace.application.loader import Loaded
from aace.application.request_models import request_models, to_input
from aace.application.serialization import json_schema, to_json_data
from aace.application.services.views import public_view
from aace.domain.core_schemas import serialization_context
from aace.domain.entities import ALL_SCHEMAS, Agent
from aace.domain.query import Page
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey

pytestmark = pytest.mark.anyio
TENANT = PartitionKey("endpoint-1", "part-1")
SAMPLE = {"S": "text-1", "N": 1, "B": True, "M": {"k": "v"}, "L<S>": ["a"], "L<M>": [{"k": 1}]}


def _record(schema: EntitySchema[Any]) -> Any:
    """A valid record of ``schema``, built from its attribute kinds."""
    values: dict[str, Any] = {} if schema.platform else {"partition_key": TENANT}
    kinds = {spec.name: spec.kind.value for spec in schema.attributes}
    for field in attrs.fields(schema.entity):
        if field.name in values or field.default is not attrs.NOTHING:
            continue
        values[field.name] = SAMPLE[kinds[field.name]]
    if schema.name == "usage_limits":
        values["limit"] = 5
    return public_view(schema.entity(**values))


def _app(schema: EntitySchema[Any], record: Any) -> FastAPI:
    entity = schema.entity
    app = FastAPI()

    async def one() -> Any:
        return record

    async def page() -> Any:
        return Page([record], "next", {"parent": {("k",): record}})

    async def loaded() -> Any:
        return Loaded(record, {"parent": {("k",): None}})

    one.__annotations__["return"] = entity
    # The entity type is chosen at run time: no static type to write.
    page.__annotations__["return"] = Page[entity]  # type: ignore[valid-type]
    loaded.__annotations__["return"] = Loaded[entity]  # type: ignore[valid-type]
    app.get("/one")(one)
    app.get("/page")(page)
    app.get("/loaded")(loaded)
    return app


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.name)
async def test_a_route_returns_any_entity_page_and_loaded_record(
    schema: EntitySchema[Any],
) -> None:
    record = _record(schema)
    app = _app(schema, record)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        one = await client.get("/one")
        page = await client.get("/page")
        loaded = await client.get("/loaded")
        document = (await client.get("/openapi.json")).json()
    assert one.status_code == page.status_code == loaded.status_code == 200
    assert one.json() == to_json_data(record)
    assert "partition_key" not in one.json()
    assert page.json() == to_json_data(Page([record], "next", {"parent": {("k",): record}}))
    assert loaded.json() == to_json_data(Loaded(record, {"parent": {("k",): None}}))
    name = schema.entity.__name__
    described = document["components"]["schemas"][name]
    assert described["properties"] == json_schema(schema.entity)["properties"]
    ref = {"$ref": f"#/components/schemas/{name}"}
    assert document["paths"]["/one"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"] == ref  # fmt: skip
    assert document["paths"]["/page"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["properties"]["items"]["items"] == ref  # fmt: skip


def test_type_adapters_dump_the_web_shape_and_refuse_other_types() -> None:
    schema = ALL_SCHEMAS[0]
    record = _record(schema)
    adapter = TypeAdapter(Page[schema.entity])  # type: ignore[name-defined]  # chosen at run time
    assert adapter.dump_python(Page([record])) == to_json_data(Page([record]))
    assert "$defs" in adapter.json_schema()
    with pytest.raises(PydanticError):
        TypeAdapter(schema.entity).validate_python({"agent_name": "x"})


def test_importing_the_domain_loads_no_pydantic() -> None:
    probe = "import sys, aace.domain, aace.domain.entities, aace.domain.query; " \
        "print(sorted(m for m in sys.modules if m.startswith('pydantic')))"  # fmt: skip
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr


def test_request_models_apply_the_domains_rules_to_every_field() -> None:
    models = request_models("agents")
    with pytest.raises(PydanticError) as caught:
        models.create.model_validate(
            {"agent_name": "", "llm_provider": "p", "llm_name": "l", "num_of_messages": "x",
             "bogus": 1}
        )  # fmt: skip
    assert [(e["loc"], e["msg"]) for e in caught.value.errors()] == [
        (("agent_name",), "must not be blank"),
        (("num_of_messages",), "Input should be a valid integer"),
        (("bogus",), "Extra inputs are not permitted"),
    ]
    assert "partition_key" not in models.create.model_fields
    assert "agent_version_uuid" not in models.create.model_fields
    update = request_models("agents", camel=True).update.model_validate({"agentName": "b"})
    assert to_input(update) == {"agent_name": "b"}


@pytest.mark.parametrize("name", [s for s in __import__(
    "aace.application.roster", fromlist=["x"]).service_names() if s != "usage"])  # fmt: skip
def test_every_service_has_request_models_with_a_json_schema(name: str) -> None:
    models = request_models(name)
    assert models.create.model_json_schema()["additionalProperties"] is False
    assert models.update.model_json_schema()["additionalProperties"] is False


def _schema(name: str) -> EntitySchema[Any]:
    return next(s for s in ALL_SCHEMAS if s.name == name)


AGENT = _record(_schema("agents"))


def test_containers_of_any_items_and_mappings_of_records_serialise() -> None:
    """A bare ``Page``/``Loaded``, ``Page[Any]`` and plain containers holding records give
    the web shape (pydantic infers the records' own serialiser)."""
    page = Page([AGENT], "next", {"parent": {("k",): AGENT}})
    loaded = Loaded(AGENT, {"parent": {("k",): None}})
    cases: list[tuple[Any, Any]] = [
        (Page, page), (Page[Any], page), (Loaded, loaded), (Loaded[Any], loaded),
        (dict[str, Any], {"agent": AGENT, "page": page}), (list[Any], [AGENT, loaded]),
        (Page[dict[str, Any]], Page([{"agent": AGENT}])),
    ]  # fmt: skip
    for annotation, value in cases:
        adapter = TypeAdapter(annotation)
        assert adapter.dump_python(value, mode="json") == to_json_data(value), annotation
        assert adapter.dump_json(value) == adapter.serializer.to_json(value)
    assert "partition_key" not in TypeAdapter(dict[str, Any]).dump_python({"a": AGENT})["a"]


def test_the_serialisation_context_carries_the_web_options() -> None:
    page = Page([AGENT], "next", {"parent_agent": {("k",): AGENT}})
    camel = serialization_context(camel=True)
    dumped = TypeAdapter(Page[Agent]).dump_python(page, mode="json", context=camel)
    assert dumped == to_json_data(page, camel=True)
    assert set(dumped) == {"items", "nextCursor", "related"}
    assert "agentName" in dumped["items"][0]
    assert TypeAdapter(Agent).dump_python(AGENT, context=camel) == to_json_data(AGENT, camel=True)
    assert TypeAdapter(dict[str, Any]).dump_python({"a": AGENT}, context=camel)["a"] == (
        to_json_data(AGENT, camel=True)
    )


def _values() -> list[Any]:
    group = _record(_schema("wizard_groups"))
    check = CheckResult(ok=True, seconds=0.25, detail="sqlite at /srv/aace.db")
    return [
        SavedWizardGroup(group, [_record(_schema("wizards"))], [_record(_schema("elements"))]),
        HistoryEntry("user", "hi", datetime(2025, 1, 1, tzinfo=UTC), "run-1", 1, 2, 3),
        UsageCheck("tokens", "day", datetime(2025, 1, 1, tzinfo=UTC), 3, 10, False),
        Health(check, None),
        check,
    ]


@pytest.mark.parametrize("value", _values(), ids=lambda v: type(v).__name__)
async def test_the_values_services_return_are_pydantic_types(value: Any) -> None:
    cls = type(value)
    app = FastAPI()

    async def route() -> Any:
        return value

    route.__annotations__["return"] = cls
    app.get("/value")(route)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.get("/value")
        document = (await client.get("/openapi.json")).json()
    assert answer.status_code == 200
    assert answer.json() == to_json_data(value)
    assert "partition_key" not in str(answer.json())
    described = document["components"]["schemas"][cls.__name__]
    assert described["properties"] == json_schema(cls)["properties"]
    assert set(described["properties"]) == set(answer.json())


def test_a_saved_wizard_group_and_health_keep_their_secrets() -> None:
    saved, _, _, health, check = _values()
    group = TypeAdapter(SavedWizardGroup).dump_python(saved)["group"]
    assert "partition_key" not in group
    assert group == to_json_data(saved.group)
    assert TypeAdapter(Health).dump_python(health)["store"] == {"ok": True, "seconds": 0.25}
    assert "detail" not in TypeAdapter(CheckResult).dump_python(check)
    assert to_json_data(check, secrets=True)["detail"] == check.detail
    nested = json_schema(SavedWizardGroup)["properties"]
    assert nested["group"]["properties"] == json_schema(type(saved.group))["properties"]
    assert nested["wizards"]["items"]["title"] == "Wizard"


def test_internal_mcp_never_has_a_web_shape() -> None:
    internal = InternalMcp(base_url="https://mcp.internal", headers={"Authorization": "Bearer s"})
    with pytest.raises(TypeError, match="credentials"):
        to_json_data(internal)
    with pytest.raises(PydanticSerializationError):
        TypeAdapter(dict[str, Any]).dump_python({"mcp": internal}, mode="json")


def test_request_models_take_iso_text_for_datetime_fields() -> None:
    models = request_models("usage_summaries")
    created = models.create.model_validate_json(
        '{"usage_key": "tokens", "period": "day", "period_start": "2025-01-01T00:00:00+00:00",'
        ' "value": 3}'
    )
    assert to_input(created)["period_start"] == datetime(2025, 1, 1, tzinfo=UTC)
    python = models.create.model_validate(
        {"usage_key": "tokens", "period": "day", "period_start": "2025-01-01T00:00:00Z",
         "value": 3}
    )  # fmt: skip
    assert to_input(python)["period_start"] == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(PydanticError):
        models.create.model_validate({"usage_key": "t", "period": "day", "period_start": "soon"})


def test_request_models_of_a_service_without_an_entity_name_it() -> None:
    with pytest.raises(LookupError, match="'usage'"):
        request_models("usage")
    with pytest.raises(LookupError, match="'nope'"):
        request_models("nope")
