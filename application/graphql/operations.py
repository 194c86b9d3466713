"""The persistence operations of one entity, generated: ``<x>``, ``<x>List``,
``insertUpdate<X>`` and ``delete<X>``. Arguments are the entity's stored attributes (types
from its schema) and the catalogue's filters; resolvers call the service."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import graphene

from aace.domain.errors import HasDependents, NotFound, ValidationError
from aace.graphql.entity_api import EntityApi
from aace.graphql.paging import filter_key, page_args
from aace.graphql.scalars import as_utc
from aace.graphql.state import state_of
from aace.graphql.types import TypeRegistry, graphene_type, kind_type
from aace.graphql.writes import write

__all__ = ["arguments", "delete_args", "entity_operations", "get_args", "input_args", "list_args"]

#: Fields the package sets on every record: never an insert/update argument.
_AUDIT = frozenset(
    {"partition_key", "endpoint_id", "part_id", "updated_by", "created_at", "updated_at"}
)


def get_args(api: EntityApi) -> dict[str, str]:
    """``<x>(...)``: the key parts, required; or the versioned pair, both optional."""
    if api.get_args is not None:
        return dict.fromkeys(api.get_args, "String")
    return dict.fromkeys(api.schema.key_fields, "String!")


def list_args(api: EntityApi) -> dict[str, str]:
    args = {"page_number": "Int", "limit": "Int"}
    args.update({flt.arg: flt.type for flt in api.filters})
    if api.updated_range:
        args.update(updated_at_gt="DateTime", updated_at_lt="DateTime")
    return args


def input_args(api: EntityApi) -> dict[str, str]:
    """``insertUpdate<X>(...)``: every stored attribute the caller may give (its kind's
    type; required where the platform requires it), the platform's extra arguments and
    ``updatedBy!``."""
    args: dict[str, str] = {}
    for spec in api.schema.attributes:
        if spec.name in _AUDIT or spec.name in api.input_hide:
            continue
        kind = kind_type(spec.kind)
        args[spec.name] = f"{kind}!" if spec.name in api.required else kind
    args.update(api.input_extra)
    if api.updated_by:
        args["updated_by"] = "String!"
    return args


def delete_args(api: EntityApi) -> dict[str, str]:
    names = api.delete_args if api.delete_args is not None else api.schema.key_fields
    args = dict.fromkeys(names, "String!")
    if api.write == "natural" and api.delete_args is not None:
        args = {name: ("String!" if name != "run_uuid" else "String") for name in names}
    args.update(api.delete_extra)
    return args


def arguments(types: Mapping[str, str]) -> dict[str, graphene.Argument]:
    return {name: graphene.Argument(graphene_type(spec)) for name, spec in types.items()}


def _filters(api: EntityApi, args: dict[str, Any]) -> dict[str, Any]:
    """The service keywords of a list call's arguments (naive datetimes read as UTC)."""
    keywords: dict[str, Any] = {}
    for flt in api.filters:
        value = args.get(flt.arg)
        if value is None or flt.target is None:
            continue
        if isinstance(value, datetime):
            value = as_utc(value)
        keywords[flt.target] = flt.convert(value)
    for arg, keyword in (("updated_at_gt", "updated_after"), ("updated_at_lt", "updated_before")):
        if args.get(arg) is not None:
            keywords[keyword] = as_utc(args[arg])
    return keywords


def _resolve_get(api: EntityApi) -> Callable[..., Any]:
    async def resolve(root: Any, info: Any, **args: Any) -> Any:
        state = state_of(info)
        service = getattr(state.app, api.service)
        if api.stable_id is not None:
            version = args.get(api.schema.range_key)
            if version:
                return await service.find(state.tenant, version)
            stable = args.get(api.stable_id)
            if not stable:
                raise ValidationError(api.stable_id, f"or {api.schema.range_key} is needed")
            try:
                return await service.active(state.tenant, stable)
            except NotFound:
                return None
        return await service.find(state.tenant, *(args[k] for k in api.schema.key_fields))

    return resolve


def _resolve_list(api: EntityApi) -> Callable[..., Any]:
    async def resolve(root: Any, info: Any, **args: Any) -> Any:
        state = state_of(info)
        service = getattr(state.app, api.service)
        number, size = page_args(args.get("page_number"), args.get("limit"))
        keywords = _filters(api, args)
        tenant = "platform" if api.registry else str(state.tenant.partition_key)
        key = filter_key(tenant, api.service, keywords, size)

        async def read(cursor: str | None) -> Any:
            return await service.list(state.tenant, limit=size, cursor=cursor, **keywords)

        async def count() -> int:
            found: int = await service.count(state.tenant, **keywords)
            return found

        items, total = await asyncio.gather(
            state.memo.page(key, number, read), state.memo.total(key, count)
        )
        return {
            "page_size": size,
            "page_number": number,
            "total": total,
            f"{api.name}_list": items,
        }

    return resolve


def _forget(api: EntityApi, info: Any) -> None:
    state = state_of(info)
    tenant = "platform" if api.registry else str(state.tenant.partition_key)
    state.memo.forget_totals(tenant, api.service)


def _resolve_insert(api: EntityApi) -> Callable[..., Any]:
    async def resolve(root: Any, info: Any, **args: Any) -> Any:
        try:
            return {api.name: await write(api, state_of(info), args)}
        finally:
            _forget(api, info)

    return resolve


def _resolve_delete(api: EntityApi, field: str) -> Callable[..., Any]:
    names = api.delete_args if api.delete_args is not None else api.schema.key_fields

    async def resolve(root: Any, info: Any, **args: Any) -> Any:
        state = state_of(info)
        for name in names:
            if not args.get(name):
                raise ValidationError(name, f"is needed to delete a {api.name}")
        service = getattr(state.app, api.service)
        try:
            await service.delete(state.writer(api.registry), *(args[n] for n in names))
        except HasDependents as exc:
            state.errors.append((field, exc))
            return {"ok": False}
        finally:
            _forget(api, info)
        return {"ok": True}

    return resolve


def entity_operations(
    api: EntityApi, registry: TypeRegistry
) -> tuple[dict[str, graphene.Field], dict[str, graphene.Field]]:
    """(query fields, mutation fields) of ``api``, with their payload types registered."""
    registry.entity(api)
    list_type = api.type_name.replace("Type", "ListType")
    queries = {
        api.name: graphene.Field(
            registry.named(api.type_name),
            args=arguments(get_args(api)),
            resolver=_resolve_get(api),
        ),
        f"{api.name}_list": graphene.Field(
            registry.named(list_type),
            args=arguments(list_args(api)),
            resolver=_resolve_list(api),
        ),
    }
    insert = api.insert_name or f"insert_update_{api.name}"
    insert_type = "InsertThread" if api.insert_name else f"InsertUpdate{api.mutation_name}"
    registry.add(insert_type, {api.name: registry.field(api.type_name)})
    delete_type = f"Delete{api.mutation_name}"
    registry.add(delete_type, {"ok": graphene.Boolean()})
    mutations = {
        insert: graphene.Field(
            registry.named(insert_type),
            args=arguments(input_args(api)),
            resolver=_resolve_insert(api),
        ),
        f"delete_{api.name}": graphene.Field(
            registry.named(delete_type),
            args=arguments(delete_args(api)),
            resolver=_resolve_delete(api, f"delete_{api.name}"),
        ),
    }
    return queries, mutations
