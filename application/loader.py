"""The per-request loader: nested reads without N+1 (services.md, "Nested reads").

``app.loader(ctx)`` gives one :class:`Loader` per request. Keys asked for within one
event-loop tick are gathered into one ``get_many`` per entity (``aiodataloader``'s DataLoader
semantics), each key is fetched once per loader, and every relation of
:mod:`aace.domain.relations` resolves through it:

- a parent by its key (an agent's flow-snippet version, its MCP servers, its LLM; a wizard's
  schema): one batched read per entity for all the items of a page;
- a parent by a stable id (a thread's agent, a flow snippet's prompt template): its active
  version has no key, so that costs one query per distinct stable id;
- children (a thread's runs, messages and tool calls; a session's agents and runs): one
  listing per parent (all pages); children a parent lists by key (a wizard group's wizards,
  a wizard's elements): one batched read.

MCP servers come in their public view (no ``headers``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from aiodataloader import DataLoader

from aace.domain.core_schemas import PydanticSerializer
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.errors import ValidationError
from aace.domain.ports import Store, find_active, read_all
from aace.domain.records import to_record
from aace.domain.relations import Link, Relation, children_of, parents_of
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

if TYPE_CHECKING:
    from aace.domain.serialization import JsonOptions

__all__ = ["Loaded", "Loader", "Related", "check_includes"]

#: ``related[relation][item key]``: the related record, ``None``, or a list (to-many).
Related = dict[str, dict[EntityKey, Any]]
E = TypeVar("E")
_SCHEMAS = {schema.name: schema for schema in ALL_SCHEMAS}


@attrs.frozen
class Loaded(Generic[E]):
    """What ``get(..., include=[...])`` returns: the record and its related records."""

    record: E
    related: Related
    __pydantic_serializer__ = PydanticSerializer()  # where the type says ``Any``

    def __json_data__(self, options: JsonOptions) -> dict[str, Any]:
        """The web shape (:mod:`aace.domain.serialization`)."""
        return {
            options.name("record"): options.data(self.record),
            options.name("related"): options.related(self.related),
        }

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> dict[str, Any]:
        """``Loaded[E]`` as a pydantic type: the record through ``E``'s schema."""
        from aace.domain.core_schemas import container_core_schema, related_core_schema

        return container_core_schema(
            cls,
            source,
            handler,
            lambda record: {"record": record, "related": related_core_schema()},
            lambda loaded, options: {
                "record": loaded.record,
                "related": options.related(loaded.related),
            },
        )


class Loader:
    """Batched, per-request reads for one tenant. ``present`` turns a record into what
    callers see (the MCP servers' public view)."""

    def __init__(
        self, store: Store, tenant: PartitionKey, present: Callable[[Any], Any] = lambda r: r
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._present = present
        self._loaders: dict[str, DataLoader[EntityKey, Any]] = {}
        self._active: dict[tuple[str, str, str], asyncio.Future[Any]] = {}

    def _loader(self, schema: EntitySchema[Any]) -> DataLoader[EntityKey, Any]:
        loader = self._loaders.get(schema.name)
        if loader is None:
            repository = self._store.repository(schema)

            async def batch(keys: list[EntityKey]) -> list[Any]:
                return await repository.get_many(self._tenant, keys)

            loader = self._loaders[schema.name] = DataLoader(batch)
        return loader

    async def load(self, what: str | EntitySchema[Any], key: EntityKey | str) -> Any:
        """The record ``key`` of ``what`` (a schema or a service's name), or ``None``."""
        schema = _schema(what)
        record = await self._loader(schema).load(schema.check_key(_key(key)))
        return None if record is None else self._present(record)

    async def load_many(
        self, what: str | EntitySchema[Any], keys: Iterable[EntityKey | str]
    ) -> list[Any]:
        """One result per key, in order (``None`` where missing), in one batch."""
        schema = _schema(what)
        checked = [schema.check_key(_key(k)) for k in keys]
        records = await self._loader(schema).load_many(checked)
        return [None if r is None else self._present(r) for r in records]

    async def active(self, schema: EntitySchema[Any], stable_attr: str, stable_id: str) -> Any:
        """The active version of a versioned entity (one query per distinct stable id)."""
        slot = (schema.name, stable_attr, stable_id)
        if slot not in self._active:
            self._active[slot] = asyncio.ensure_future(
                self._query_active(schema, stable_attr, stable_id)
            )
        return await self._active[slot]

    async def _query_active(self, schema: EntitySchema[Any], attr: str, value: str) -> Any:
        found = await find_active(self._store.repository(schema), self._tenant, attr, value)
        return None if found is None else self._present(found)

    async def related(
        self, schema: EntitySchema[Any], items: Sequence[Any], names: Sequence[str]
    ) -> Related:
        """For each relation in ``names``, what each of ``items`` relates to, by item key."""
        relations = [_relation(schema, name) for name in names]  # all checked before any read
        records = [to_record(schema, item) for item in items]
        results = await asyncio.gather(
            *(
                (self._parents if upward else self._children)(relation, records)
                for relation, upward in relations
            )
        )  # one tick: the keys of every relation batch together
        return {
            name: {schema.key_of(item): r for item, r in zip(items, found, strict=True)}
            for name, found in zip(names, results, strict=True)
        }

    async def _parents(self, relation: Relation, records: list[dict[str, Any]]) -> list[Any]:
        parent = relation.parent
        if relation.link is Link.CHILD_LISTS:
            keys = [[_parent_key(parent, v) for v in relation.parent_values(r)] for r in records]
            return await self._lists(parent, keys)
        values = [relation.parent_values(r) for r in records]
        attr = relation.link_attrs[0]
        if attr not in parent.key_fields:  # by a stable id: its active version
            return list(
                await asyncio.gather(
                    *(self.active(parent, attr, v[0][attr]) if v else _none() for v in values)
                )
            )
        wanted = [_parent_key(parent, v[0]) if v else None for v in values]
        loaded = await self.load_many(parent, [k for k in wanted if k is not None])
        it = iter(loaded)
        return [next(it) if k is not None else None for k in wanted]

    async def _children(self, relation: Relation, records: list[dict[str, Any]]) -> list[Any]:
        child = relation.child
        if relation.link is Link.PARENT_LISTS:
            return await self._lists(child, [_listed(relation, r) for r in records])
        if relation.link is Link.CHILD_LISTS:
            raise ValidationError("include", f"{relation.children} cannot be listed from here")
        return list(await asyncio.gather(*(self._all_children(relation, r) for r in records)))

    async def _lists(
        self, schema: EntitySchema[Any], keys: list[list[EntityKey]]
    ) -> list[list[Any]]:
        """For each item's list of keys, the records found, in one batched read for all."""
        loaded = await self.load_many(schema, [k for ks in keys for k in ks])
        out, at = [], 0
        for ks in keys:
            out.append([x for x in loaded[at : at + len(ks)] if x is not None])
            at += len(ks)
        return out

    async def _all_children(self, relation: Relation, record: dict[str, Any]) -> list[Any]:
        repository = self._store.repository(relation.child)
        children = await read_all(repository, self._tenant, relation.children_query(record))
        return [self._present(child) for child in children]


async def _none() -> None:
    return None


def _key(key: EntityKey | str) -> Any:
    return (key,) if isinstance(key, str) else key


def _schema(what: str | EntitySchema[Any]) -> EntitySchema[Any]:
    if isinstance(what, EntitySchema):
        return what
    schema = _SCHEMAS.get(what) if isinstance(what, str) else None
    if schema is None:
        raise ValidationError(
            "entity", f"{what!r} names no entity ({', '.join(sorted(_SCHEMAS))})"
        )
    return schema


def _parent_key(parent: EntitySchema[Any], values: Mapping[str, Any]) -> EntityKey:
    return tuple(values[name] for name in parent.key_fields)


def _listed(relation: Relation, record: Mapping[str, Any]) -> list[EntityKey]:
    """The child keys a parent lists (ids, or maps holding them under ``list_key``)."""
    keys: list[EntityKey] = []
    for item in record.get(relation.link_attrs[0]) or []:
        value = item.get(relation.list_key) if isinstance(item, Mapping) else item
        if isinstance(value, str) and value:
            keys.append((value,))
    return keys


def _upward(schema: EntitySchema[Any]) -> list[Relation]:
    """The parents a record of ``schema`` can name (a child a parent lists cannot)."""
    return [r for r in parents_of(schema) if r.link is not Link.PARENT_LISTS]


def _downward(schema: EntitySchema[Any]) -> list[Relation]:
    """The children a record of ``schema`` can list (children that list it cannot be
    found from it)."""
    return [r for r in children_of(schema) if r.link is not Link.CHILD_LISTS]


def check_includes(schema: EntitySchema[Any], names: Sequence[str]) -> None:
    """``ValidationError`` naming ``include`` unless ``schema`` has every relation named."""
    for name in names:
        _relation(schema, name)


def _relation(schema: EntitySchema[Any], name: str) -> tuple[Relation, bool]:
    """The relation ``name`` of ``schema``: (relation, whether it points at a parent)."""
    for relation in _upward(schema):
        if relation.parent_name == name:
            return relation, True
    for relation in _downward(schema):
        if relation.children == name:
            return relation, False
    known = sorted(
        {r.parent_name for r in _upward(schema)} | {r.children for r in _downward(schema)}
    )
    raise ValidationError("include", f"{schema.name} has no relation {name!r} (known: {known})")
