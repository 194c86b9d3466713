"""The platform's two schemas as ``graphene.Schema`` objects: the agent engine's (17
entities, two wizard-group operations, six others and ``ping``) and the coordination
engine's (6 entities, three others and ``ping``). Root types ``Query`` and ``Mutations``."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping
from typing import Any

import graphene

from aace.application.serialization import camel_case
from aace.graphql.catalogue import AGENT_CORE
from aace.graphql.coordination_catalogue import COORDINATION
from aace.graphql.entity_api import EntityApi
from aace.graphql.operations import arguments, entity_operations
from aace.graphql.state import state_of
from aace.graphql.types import TypeRegistry

__all__ = ["NotServed", "build_agent_core_schema", "build_coordination_schema"]

_J = "JSONCamelCase"

#: The result types of the operations that are not persistence, and the coordination
#: engine's theme (stored by another engine): name -> fields (snake_case) -> type.
_OTHER_TYPES: Mapping[str, Mapping[str, str]] = {
    "AskModelType": dict.fromkeys(
        (
            "agent_uuid",
            "thread_uuid",
            "user_query",
            "function_name",
            "async_task_uuid",
            "current_run_uuid",
        ),
        "String",
    ),
    "FileType": {"identity": "String", "value": "String", "file_detail": _J},
    "PresignedAWSS3UrlType": {"url": "String", "object_key": "String", "expiration": "Int"},
    "ExecuteAskModel": {"ok": "Boolean"},
    "UploadFile": {"uploaded_file": "FileType"},
    "ThemeSettingType": {
        "partition_key": "String",
        "theme_uuid": "String",
        "theme_type": "String",
        "theme_title": "String",
        "theme_description": "String",
        "setting": _J,
        "updated_by": "String",
        "created_at": "DateTime",
        "updated_at": "DateTime",
    },
    "AskOperationHubType": {
        **dict.fromkeys(
            (
                "run_uuid",
                "thread_uuid",
                "agent_uuid",
                "async_task_uuid",
                "session_uuid",
                "coordination_uuid",
                "partition_key",
            ),
            "String",
        ),
        "updated_at": "DateTime",
        "session": "SessionType",
    },
    "ProcedureTaskSessionType": {
        **dict.fromkeys(
            (
                "coordination_uuid",
                "session_uuid",
                "task_uuid",
                "user_id",
                "task_query",
                "partition_key",
            ),
            "String",
        ),
        "coordination": "CoordinationType",
        "session": "SessionType",
        "task": "TaskType",
    },
    "ExecuteProcedureTaskSession": {"procedure_task_session": "ProcedureTaskSessionType"},
    "ExecuteForUserInput": {"ok": "Boolean"},
}

#: Operations that are not persistence: name -> (root, arguments, result type).
_AC_OTHERS: Mapping[str, tuple[str, Mapping[str, str], str]] = {
    "ask_model": (
        "query",
        {
            "agent_uuid": "String!",
            "thread_uuid": "String",
            "user_id": "String",
            "user_query": "String!",
            "input_files": f"[{_J}]",
            "stream": "Boolean",
            "thread_life_minutes": "Int",
            "updated_by": "String!",
        },
        "AskModelType",
    ),
    "uploaded_file": ("query", {"agent_uuid": "String!", "arguments": f"{_J}!"}, "FileType"),
    "output_file": ("query", {"agent_uuid": "String!", "arguments": f"{_J}!"}, "FileType"),
    "presigned_aws_s3_url": (
        "query",
        {"client_method": "String", "object_key": "String!", "expiration": "Int"},
        "PresignedAWSS3UrlType!",
    ),
    "execute_ask_model": (
        "mutation",
        {"async_task_uuid": "String!", "arguments": f"{_J}!"},
        "ExecuteAskModel",
    ),
    "upload_file": ("mutation", {"agent_uuid": "String!", "arguments": f"{_J}!"}, "UploadFile"),
}

_CO_OTHERS: Mapping[str, tuple[str, Mapping[str, str], str]] = {
    "ask_operation_hub": (
        "query",
        {
            "coordination_uuid": "String!",
            "user_id": "String",
            "agent_uuid": "String",
            "session_uuid": "String",
            "user_query": "String!",
            "input_files": f"[{_J}]",
            "receiver_email": "String",
            "thread_uuid": "String",
            "stream": "Boolean",
            "thread_life_minutes": "Int",
        },
        "AskOperationHubType",
    ),
    "execute_procedure_task_session": (
        "mutation",
        {
            "coordination_uuid": "String!",
            "task_uuid": "String!",
            "user_id": "String",
            "task_query": "String",
        },
        "ExecuteProcedureTaskSession",
    ),
    "execute_for_user_input": (
        "mutation",
        {"session_agent_uuid": "String!", "session_uuid": "String!", "user_input": "String!"},
        "ExecuteForUserInput",
    ),
}

#: The two wizard-group operations of the agent engine that are not one entity's.
_WIZARD_GROUP_WITH_WIZARDS = {
    "wizard_group_uuid": "String",
    "wizard_group_name": "String!",
    "wizard_group_description": "String",
    "weight": "Int",
    "wizards": f"[{_J}]!",
    "updated_by": "String!",
}
_WIZARD_FROM_GROUP = {
    "wizard_uuid": "String!",
    "wizard_group_uuid": "String!",
    "updated_by": "String",
}


class NotServed(Exception):
    """An operation that is not persistence, with no handler registered for it."""


def _other(name: str) -> Callable[..., Any]:
    operation = camel_case(name)

    async def resolve(root: Any, info: Any, **args: Any) -> Any:
        state = state_of(info)
        handler = state.handlers.get(operation)
        if handler is None:
            raise NotServed(
                f"{operation} is not persistence: aace-core serves it only through a handler"
                f" the embedder registers (handlers={{{operation!r}: fn}})"
            )
        result = handler(state.tenant, state.app, **args)
        return await result if hasattr(result, "__await__") else result

    return resolve


def _ping(root: Any, info: Any) -> str:
    return f"Hello at {time.strftime('%X')}!!"


async def _save_with_wizards(root: Any, info: Any, **args: Any) -> Any:
    state = state_of(info).with_updated_by(args.pop("updated_by", None))
    wizards = args.pop("wizards")
    group = {k: v for k, v in args.items() if v is not None}
    saved = await state.app.wizard_groups.save_with_wizards(state.tenant, group, wizards)
    state.memo.forget_totals(str(state.tenant.partition_key), "wizard_groups")
    return {"wizard_group": saved.group}


async def _remove_wizard(root: Any, info: Any, **args: Any) -> Any:
    state = state_of(info).with_updated_by(args.get("updated_by"))
    await state.app.wizard_groups.remove_wizard(
        state.tenant, args["wizard_group_uuid"], args["wizard_uuid"]
    )
    return {"ok": True}


def _build(
    entities: tuple[EntityApi, ...],
    others: Mapping[str, tuple[str, Mapping[str, str], str]],
    extra: Callable[[TypeRegistry, dict[str, Any]], None] | None = None,
) -> graphene.Schema:
    registry = TypeRegistry()
    queries: dict[str, Any] = {"ping": graphene.String(resolver=_ping)}
    mutations: dict[str, Any] = {}
    for api in entities:
        query, mutation = entity_operations(api, registry)
        queries.update(query)
        mutations.update(mutation)
    for name, fields in _OTHER_TYPES.items():
        registry.add(name, {field: registry.field(spec) for field, spec in fields.items()})
    for name, (root, args, result) in others.items():
        target = queries if root == "query" else mutations
        target[name] = graphene.Field(
            _result_type(result, registry), args=arguments(args), resolver=_other(name)
        )
    if extra is not None:
        extra(registry, mutations)
    query_type = type("Query", (graphene.ObjectType,), queries)
    mutation_type = type("Mutations", (graphene.ObjectType,), mutations)
    return graphene.Schema(query=query_type, mutation=mutation_type, auto_camelcase=True)


def _result_type(spec: str, registry: TypeRegistry) -> Any:
    if spec.endswith("!"):
        return graphene.NonNull(registry.named(spec[:-1]))
    return registry.named(spec)


def _wizard_group_operations(registry: TypeRegistry, mutations: dict[str, Any]) -> None:
    registry.add(
        "InsertUpdateWizardGroupWithWizards", {"wizard_group": registry.field("WizardGroupType")}
    )
    registry.add("DeleteWizardFromWizardGroup", {"ok": graphene.Boolean()})
    mutations["insert_update_wizard_group_with_wizards"] = graphene.Field(
        registry.named("InsertUpdateWizardGroupWithWizards"),
        args=arguments(_WIZARD_GROUP_WITH_WIZARDS),
        resolver=_save_with_wizards,
    )
    mutations["delete_wizard_from_wizard_group"] = graphene.Field(
        registry.named("DeleteWizardFromWizardGroup"),
        args=arguments(_WIZARD_FROM_GROUP),
        resolver=_remove_wizard,
    )


@functools.cache
def build_agent_core_schema() -> graphene.Schema:
    """The agent engine's schema (``ai_agent_core_graphql``)."""
    return _build(AGENT_CORE, _AC_OTHERS, _wizard_group_operations)


@functools.cache
def build_coordination_schema() -> graphene.Schema:
    """The coordination engine's schema (``ai_coordination_graphql``)."""
    return _build(COORDINATION, _CO_OTHERS)
