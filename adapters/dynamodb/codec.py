"""Storage records to DynamoDB items and back, through the model's PynamoDB attributes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pynamodb.attributes import DESERIALIZE_CLASS_MAP, Attribute, ListAttribute, MapAttribute
from pynamodb.models import Model

from aace.domain.schema import AttrKind, EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

#: The attributes a deletion mark adds to a parent item while a guarded delete runs
#: (:mod:`.deletion_marks`); never part of a record.
MARK_ATTRIBUTES = ("aace_deleting", "aace_deleting_until")

__all__ = ["MARK_ATTRIBUTES", "Item", "ItemCodec"]

#: A DynamoDB item in wire form: attribute name -> {type: value}.
Item = dict[str, dict[str, Any]]

_NULL = "NULL"
_FITS: dict[AttrKind, tuple[type, ...]] = {
    AttrKind.S: (str,),
    AttrKind.N: (int, float),
    AttrKind.B: (bool,),
    AttrKind.DT: (datetime,),
    AttrKind.M: (dict,),
    AttrKind.LS: (list,),
    AttrKind.LM: (list,),
}


class ItemCodec:
    """Encodes one schema's records; ``None`` values are left out (sparse indexes)."""

    def __init__(self, schema: EntitySchema[Any], model: type[Model]) -> None:
        self.schema = schema
        self.attributes: dict[str, Attribute[Any]] = {
            attribute.attr_name: attribute for attribute in model.get_attributes().values()
        }

    def value(self, name: str, value: Any) -> dict[str, Any]:
        """One attribute value in wire form."""
        if value is None:
            return {_NULL: True}
        attribute = self.attributes[name]
        if isinstance(attribute, (ListAttribute, MapAttribute)):
            return {attribute.attr_type: attribute.serialize(value, null_check=False)}
        return {attribute.attr_type: attribute.serialize(value)}

    def fits(self, name: str, value: Any) -> bool:
        """Whether ``value`` can equal a stored value of attribute ``name`` at all."""
        kind = self.schema.attribute_kinds[name]
        if kind is AttrKind.N and isinstance(value, bool):
            return False
        return isinstance(value, _FITS[kind])

    def encode(self, record: Mapping[str, Any]) -> Item:
        return {name: self.value(name, v) for name, v in record.items() if v is not None}

    def decode(self, item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        record: dict[str, Any] = {}
        for name, wire in item.items():
            if name in MARK_ATTRIBUTES:
                continue  # a guarded delete under way: not part of the record
            ((kind, raw),) = wire.items()
            attribute = self.attributes.get(name)
            if kind == _NULL:
                record[name] = None
            elif attribute is not None and attribute.attr_type == kind:
                record[name] = attribute.deserialize(raw)
            else:
                record[name] = DESERIALIZE_CLASS_MAP[kind].deserialize(raw)
        return record

    def key(self, tenant: PartitionKey, key: EntityKey) -> Item:
        """The primary key of the tenant's record ``key``."""
        schema = self.schema
        if schema.tenant_hashed:
            return {"partition_key": {"S": str(tenant)}, schema.range_key: {"S": key[0]}}
        return {schema.hash_key: {"S": key[0]}, schema.range_key: {"S": key[1]}}

    def key_of_item(self, item: Mapping[str, Any]) -> tuple[str, str]:
        """(hash value, range value) of a wire item."""
        schema = self.schema
        return item[schema.hash_key]["S"], item[schema.range_key]["S"]
