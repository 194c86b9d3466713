"""Every entity converts to its storage record and back without loss."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.entities import ALL_SCHEMAS
from aace.domain.records import from_record, to_record
from aace.domain.schema import TENANT_ATTRS, EntitySchema
from tests.strategies import entities


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.name)
@given(data=st.data())
def test_record_to_entity_to_record_is_the_identity(
    schema: EntitySchema[Any], data: st.DataObject
) -> None:
    record = to_record(schema, data.draw(entities(schema)))
    assert to_record(schema, from_record(schema, record)) == record


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.name)
@given(data=st.data())
def test_the_record_holds_exactly_the_documented_attributes(
    schema: EntitySchema[Any], data: st.DataObject
) -> None:
    entity = data.draw(entities(schema))
    record = to_record(schema, entity)
    assert set(record) == {a.name for a in schema.attributes}
    if schema.platform:  # the registries belong to the platform: no tenant attribute at all
        assert not set(TENANT_ATTRS) & set(record)
        return
    assert record["partition_key"] == f"{record['endpoint_id']}#{record['part_id']}"
    assert all(attr in record for attr in TENANT_ATTRS)
