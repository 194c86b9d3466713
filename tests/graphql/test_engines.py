"""The platform's engine classes: the envelope, the tenant from the call, settings, the
document builder, handlers of non-persistence operations, ``build_graphql_schema``."""

from __future__ import annotations

import json
import logging

import graphene
import pytest
from graphql import get_introspection_query, parse, validate

from aace.graphql import (
    AIAgentCoreEngine,
    AICoordinationEngine,
    build_agent_core_schema,
    build_coordination_schema,
    generate_operation,
)
from aace.graphql.cost import DEFAULT_MAX_COST, estimate


def operations(schema):
    graph = schema.graphql_schema
    yield from ((name, "Query") for name in graph.query_type.fields)
    yield from ((name, "Mutation") for name in graph.mutation_type.fields)


@pytest.mark.parametrize("build", [build_agent_core_schema, build_coordination_schema])
def test_every_generated_document_validates_and_fits_the_default_bound(build) -> None:
    schema = build()
    graph = schema.graphql_schema
    count = 0
    for name, kind in operations(schema):
        text = generate_operation(name, kind, schema)
        document = parse(text)
        assert validate(graph, document) == [], (name, text)
        assert estimate(graph, document, {}, operator=True) <= DEFAULT_MAX_COST, name
        count += 1
    assert count in (77, 28)
    assert estimate(graph, parse(get_introspection_query()), {}) == 0


@pytest.fixture
def engine(caplog):
    with caplog.at_level(logging.WARNING):
        made = AIAgentCoreEngine(
            logging.getLogger("test"),
            storage_url="memory://",
            endpoint_id="ep",
            region_name="us-east-1",
            aws_access_key_id="x",
            handlers={"askModel": _ask_model},
        )
    with made:
        yield made


def _ask_model(context, app, **args):
    return {
        "agent_uuid": args["agent_uuid"],
        "user_query": args["user_query"],
        "function_name": f"for {context.part_id}",
    }


def body(answer: dict) -> dict:
    assert answer["statusCode"] in (200, 400)
    return json.loads(answer["body"])


def test_unknown_settings_are_ignored_with_one_warning(engine, caplog) -> None:
    setup = caplog.get_records("setup")
    warnings = [r for r in setup if "ignores these settings" in r.getMessage()]
    assert len(warnings) == 1
    assert "aws_access_key_id, region_name" in warnings[0].getMessage()


def test_the_tenant_comes_from_endpoint_metadata_part_in_that_order(engine) -> None:
    query = generate_operation("askModel", "Query", build_agent_core_schema())
    variables = {"agentUuid": "a", "userQuery": "q", "updatedBy": "me"}
    answers = [
        engine.ai_agent_core_graphql(query=query, variables=variables, part_id="p"),
        engine.ai_agent_core_graphql(
            query=query, variables=variables, part_id="p", metadata={"part_id": "m"}
        ),
        engine.ai_agent_core_graphql(query=query, variables=variables),
    ]
    names = [body(a)["data"]["askModel"]["functionName"] for a in answers]
    assert names == ["for p", "for m", "for ep"]  # absent part: the endpoint (fallback)
    refused = engine.ai_agent_core_graphql(
        query=query, variables=variables, part_id="p", context={"partition_key": "ep#q"}
    )
    assert "partition_key" in body(refused)["errors"][0]["message"]


def test_an_unhandled_operation_is_an_error_naming_it(engine) -> None:
    query = generate_operation("uploadFile", "Mutation", build_agent_core_schema())
    answer = body(
        engine.ai_agent_core_graphql(
            query=query, variables={"agentUuid": "a", "arguments": {}}, part_id="p"
        )
    )
    assert answer["data"] == {"uploadFile": None}
    assert answer["errors"][0]["message"].startswith("uploadFile is not persistence")


def test_the_document_builder_serves_both_schemas(engine) -> None:
    for function, operation in (
        ("ai_agent_core_graphql", "agentList"),
        ("ai_coordination_graphql", "sessionList"),
    ):
        answer = body(engine.ai_agent_build_graphql_query(function, operation, "Query"))
        data = answer["data"]
        assert data["operation_name"] == operation
        assert data["operation_type"] == "Query"
        assert f"{operation}(" in data["query"]
    wrong = body(engine.ai_agent_build_graphql_query("ai_marketing_graphql", "x", "Query"))
    assert "ai_marketing_graphql" in wrong["errors"][0]["message"]
    missing = body(engine.ai_agent_build_graphql_query("ai_agent_core_graphql", "nope", "Query"))
    assert "nope" in missing["errors"][0]["message"]


def test_ping_and_the_schema_on_the_class(engine) -> None:
    assert body(engine.ping())["data"]["ping"].startswith("Hello at ")
    assert isinstance(AIAgentCoreEngine.build_graphql_schema(), graphene.Schema)
    assert AICoordinationEngine.build_graphql_schema() is build_coordination_schema()
    assert engine.health().ok
