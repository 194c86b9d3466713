"""Size limits DynamoDB applies beyond the domain's own 400 KB check.

On a table with local secondary indexes projecting ``ALL``, DynamoDB counts an item together
with its copy in every local index the item appears in against the 400 KB item limit, so
such a record may hold only about ``400 KB / (1 + copies)``. Refusing it here names the
largest attribute, as the domain's check does, instead of a bare backend error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import TooLarge
from domain.records import MAX_ITEM_BYTES, item_size
from domain.schema import EntitySchema, IndexKind

__all__ = ["check_local_index_copies"]


def check_local_index_copies(schema: EntitySchema[Any], record: Mapping[str, Any]) -> None:
    """Refuse a record whose local index copies would push it over the item limit."""
    copies = sum(
        1
        for index in schema.indexes
        if index.kind is IndexKind.LOCAL and record.get(index.range_key) is not None
    )
    if not copies:
        return
    size = item_size(record)
    if size * (1 + copies) <= MAX_ITEM_BYTES:
        return
    largest = max(record, key=lambda name: item_size({name: record[name]}))
    raise TooLarge(
        largest,
        f"{schema.name} record is {size} bytes; DynamoDB counts it with its {copies} local "
        f"index copies ({size * (1 + copies)} bytes) against the {MAX_ITEM_BYTES}-byte item "
        f"limit ({largest!r} is its largest attribute)",
        limit="item size",
    )
