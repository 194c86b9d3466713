"""The relations description holds on every adapter: each link's children query lists exactly
the children of one parent, for its tenant, and each child points back at its parent."""

from __future__ import annotations

from typing import Any

import pytest

from aace.domain.ports import Store
from aace.domain.query import resolve
from aace.domain.records import to_record
from aace.domain.relations import RELATIONS, Link, Relation, children_of, parents_of
from aace.domain.tenancy import PartitionKey
from tests.factories import new_id, sample

pytestmark = pytest.mark.anyio

LISTED = [r for r in RELATIONS if r.link is Link.CHILD_HOLDS]


def _name(relation: Relation) -> str:
    return f"{relation.parent.name}.{relation.children}"


def _child(relation: Relation, tenant: PartitionKey, parent: dict[str, Any]) -> Any:
    return sample(relation.child, tenant, **{c: parent[p] for p, c in relation.via})


@pytest.mark.parametrize("relation", RELATIONS, ids=_name)
def test_every_relation_names_attributes_and_indexes_its_schemas_have(
    relation: Relation,
) -> None:
    tenant = PartitionKey("ep", "t")
    parent = to_record(relation.parent, sample(relation.parent, tenant))
    assert relation in children_of(relation.parent)
    assert relation in parents_of(relation.child)
    if relation.link is Link.CHILD_HOLDS:
        resolve(relation.child, tenant, relation.children_query(parent), None)


@pytest.mark.parametrize("relation", LISTED, ids=_name)
async def test_the_children_query_lists_exactly_one_parents_children(
    store: Store, tenant: PartitionKey, other_tenant: PartitionKey, relation: Relation
) -> None:
    parent = to_record(relation.parent, sample(relation.parent, tenant))
    other = to_record(relation.parent, sample(relation.parent, tenant))
    mine = [_child(relation, tenant, parent) for _ in range(2)]
    theirs = _child(relation, tenant, other)
    foreign_parent = {**parent, "partition_key": str(other_tenant)}
    foreign = _child(relation, other_tenant, foreign_parent)
    repository = store.repository(relation.child)
    await repository.put_many([*mine, theirs])
    await repository.put_many([foreign])  # same parent ids, other tenant
    page = await repository.query(tenant, relation.children_query(parent))
    key = relation.child.key_of
    assert sorted(key(c) for c in page.items) == sorted(key(c) for c in mine)
    for child in page.items:
        (values,) = relation.parent_values(to_record(relation.child, child))
        assert values == {p: parent[p] for p, _ in relation.via}


def test_a_child_listing_its_parents_points_at_each() -> None:
    (mcp,) = [r for r in RELATIONS if r.link is Link.CHILD_LISTS and r.child.name == "agents"]
    tenant = PartitionKey("ep", "t")
    ids = [new_id(), new_id()]
    agent = to_record(mcp.child, sample(mcp.child, tenant, mcp_server_uuids=ids))
    assert mcp.parent_values(agent) == [{"mcp_server_uuid": i} for i in ids]
    assert mcp.parent_values({**agent, "mcp_server_uuids": None}) == []


def test_a_child_listing_maps_points_at_the_key_each_map_holds() -> None:
    (ui,) = [r for r in RELATIONS if r.parent_name == "ui_components"]
    components = [
        {"ui_component_type": "form", "ui_component_uuid": "u1", "extra": 1},
        {"ui_component_type": "form"},  # no full key: points at nothing
        "an-id-alone-is-not-a-two-part-key",
    ]
    template = {"ui_components": components}
    assert ui.parent_values(template) == [{"ui_component_type": "form", "ui_component_uuid": "u1"}]
