"""Keyset listing over a table or an index, in exactly the reference order.

DynamoDB orders a query by the range attribute only; records that tie on an index's range
attribute come back in an order of its own. The reference order breaks ties by the table's
key, so ties are gathered as whole groups and sorted here. A page stops at a group
boundary after ``limit + 1`` matches (the extra one tells whether a next page exists), and
continuing after a cursor re-reads only the cursor's own tie group, then resumes DynamoDB's
pagination right after that group, so page *k* costs about what page 1 costs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.runner import Runner
from aace.domain.query import Op, RangeCondition, ResolvedQuery
from aace.domain.schema import IndexKind

__all__ = ["Listing"]

Record = dict[str, Any]

_OPS = {Op.EQ: "=", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
#: Matches DynamoDB evaluates per request while filtering (its Limit counts before filters).
_FILTERED_BATCH = 100


class Listing:
    """One resolved listing for one tenant: pages and counts."""

    def __init__(
        self,
        runner: Runner,
        codec: ItemCodec,
        table: str,
        resolved: ResolvedQuery,
    ) -> None:
        self.runner = runner
        self.codec = codec
        self.table = table
        self.resolved = resolved
        schema, index = resolved.schema, resolved.index
        self.key_attrs = {resolved.hash_attr, resolved.range_attr, schema.hash_key}
        self.key_attrs.add(schema.range_key)
        self.filters = dict(resolved.query.filters)
        #: Filters DynamoDB may evaluate (it refuses key attributes in a filter expression).
        self.server_filters = {k: v for k, v in self.filters.items() if k not in self.key_attrs}
        self.impossible = any(
            v is not None and not codec.fits(k, v) for k, v in self.filters.items()
        )
        self.unique_order = index is None  # the table's range key never ties
        self.consistent = index is None or index.kind is IndexKind.LOCAL

    # -- requests ----------------------------------------------------------------------------

    def _request(
        self, condition: RangeCondition | None, *, use_filters: bool = True
    ) -> dict[str, Any]:
        resolved, codec = self.resolved, self.codec
        names = {"#hk": resolved.hash_attr}
        values: dict[str, dict[str, Any]] = {":hk": {"S": resolved.hash_value}}
        key = "#hk = :hk"
        if condition is not None:
            names["#rk"] = resolved.range_attr
            for number, value in enumerate(condition.values):
                values[f":r{number}"] = codec.value(resolved.range_attr, value)
            if condition.op is Op.BETWEEN:
                key += " AND #rk BETWEEN :r0 AND :r1"
            elif condition.op is Op.BEGINS_WITH:
                key += " AND begins_with(#rk, :r0)"
            else:
                key += f" AND #rk {_OPS[condition.op]} :r0"
        request: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": key,
            "ScanIndexForward": not resolved.query.descending,
            "ConsistentRead": self.consistent,
        }
        if resolved.index is not None:
            request["IndexName"] = resolved.index.name
        clauses = []
        if use_filters:
            if resolved.tenant_filter:
                names["#fpk"] = "partition_key"
                values[":fpk"] = {"S": str(resolved.tenant)}
                clauses.append("#fpk = :fpk")
            for number, (name, wanted) in enumerate(sorted(self.server_filters.items())):
                alias = f"#f{number}"
                names[alias] = name
                if wanted is None:
                    values[":fnull"] = {"S": "NULL"}
                    clauses.append(
                        f"(attribute_not_exists({alias}) OR attribute_type({alias}, :fnull))"
                    )
                else:
                    values[f":f{number}"] = codec.value(name, wanted)
                    clauses.append(f"{alias} = :f{number}")
        if clauses:
            request["FilterExpression"] = " AND ".join(clauses)
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
        return request

    @property
    def _filtering(self) -> bool:
        return self.resolved.tenant_filter or bool(self.filters)

    def _batch(self, wanted: int) -> int:
        return max(wanted, _FILTERED_BATCH) if self._filtering else max(wanted, 1)

    def _start_key(self, source: Mapping[str, Any]) -> Item:
        """An ExclusiveStartKey (table and index keys) from a wire item."""
        return {name: source[name] for name in self.key_attrs}

    def _position_key(self, after: Mapping[str, Any]) -> Item:
        resolved = self.resolved
        key: Item = {resolved.hash_attr: {"S": resolved.hash_value}}
        for name in resolved.order_fields:
            key[name] = self.codec.value(name, after[name])
        return key

    async def _read_group(self, value: Any) -> list[Item]:
        """Every stored item of the tie group ``value`` (unfiltered: its end is needed)."""
        request = self._request(RangeCondition(Op.EQ, (value,)), use_filters=False)
        items: list[Item] = []
        while True:
            response = await self.runner.call("Query", request)
            items.extend(response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last

    # -- pages and counts --------------------------------------------------------------------

    async def page(self) -> list[Record]:
        """Up to ``limit + 1`` matching records in reference order (the extra one, when
        present, proves that another page exists)."""
        if self.impossible:
            return []
        resolved = self.resolved
        wanted = resolved.query.limit + 1
        rows: list[Record] = []
        start: Item | None = None
        after = resolved.after
        if after is not None:
            if self.unique_order:
                start = self._position_key(after)
            else:
                group = await self._read_group(after[resolved.range_attr])
                records = (self.codec.decode(item) for item in group)
                rows = resolved.ordered(
                    r for r in records if resolved.admits(r) and resolved.beyond(r)
                )
                start = self._start_key(group[-1]) if group else self._position_key(after)
        if len(rows) >= wanted:
            return rows
        return await self._continue(rows, start, wanted)

    async def _continue(self, rows: list[Record], start: Item | None, wanted: int) -> list[Record]:
        range_attr = self.resolved.range_attr
        request = self._request(self.resolved.query.range)
        group: list[Record] = []
        while True:
            request["Limit"] = self._batch(wanted - len(rows) + (0 if self.unique_order else 1))
            if start is not None:
                request["ExclusiveStartKey"] = start
            response = await self.runner.call("Query", request)
            for item in response.get("Items", []):
                record = self.codec.decode(item)
                if not self.resolved.admits(record):
                    continue
                if self.unique_order:
                    rows.append(record)
                    if len(rows) >= wanted:
                        return rows
                    continue
                if group and record[range_attr] != group[-1][range_attr]:
                    rows.extend(self.resolved.ordered(group))
                    group = []
                    if len(rows) >= wanted:
                        return rows
                group.append(record)
            start = response.get("LastEvaluatedKey")
            if not start:
                rows.extend(self.resolved.ordered(group))
                return rows

    async def count(self) -> int:
        """How many records match, counted by DynamoDB unless a filter must run here."""
        if self.impossible:
            return 0
        request = self._request(self.resolved.query.range)
        client_side = len(self.server_filters) != len(self.filters)
        if not client_side:
            request["Select"] = "COUNT"
        total = 0
        while True:
            response = await self.runner.call("Query", request)
            if client_side:
                total += sum(
                    1
                    for item in response.get("Items", [])
                    if self.resolved.admits(self.codec.decode(item))
                )
            else:
                total += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                return total
            request["ExclusiveStartKey"] = last
