"""Keyset listing over a table or an index, in DynamoDB's own order.

DynamoDB orders a query by the range attribute; records that tie on an index's range
attribute come back in an order of its own, the same on every read (the contract leaves
the order of ties to each adapter). A page is ``limit + 1`` matches read in that order (the
extra one tells whether a next page exists). The cursor holds the position of the page's
last record: its range value and table key, which with the listing's hash values make up
the ``ExclusiveStartKey`` that resumes DynamoDB's own pagination right after it, so page
*k* costs what page 1 costs, inside a group of ties as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_never

from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.runner import Runner
from aace.domain.filters import All, Between, Contains, Equals, Filter, In, Nested, TimeRange
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
        self.filters = dict(resolved.filters)
        #: Filters DynamoDB may evaluate (it refuses key attributes in a filter expression).
        self.server_filters = {k: v for k, v in self.filters.items() if k not in self.key_attrs}
        self.impossible = any(self._impossible(k, v) for k, v in self.filters.items())
        self.consistent = index is None or index.kind is IndexKind.LOCAL
        self.key_range = resolved.query.range or self._key_range()

    def _impossible(self, name: str, condition: Filter) -> bool:
        """Whether a filter can match no stored value (an empty IN-list, a value of another
        type, empty bounds), so no request is needed."""
        match condition:
            case All(parts=parts):
                return any(self._impossible(name, part) for part in parts)
            case In(values=values):
                return not values
            case Equals(value=value):
                return value is not None and not self.codec.fits(name, value)
            case TimeRange(after=after, before=before):
                return after is not None and before is not None and after >= before
            case Between(low=low, high=high):
                return low is not None and high is not None and low > high
            case Contains() | Nested():
                return False
            case _:
                assert_never(condition)

    def _key_range(self) -> RangeCondition | None:
        """A time range on the listed range attribute, as a key condition (BETWEEN is
        inclusive: the bounds themselves are then dropped here, as every record is checked)."""
        wanted = self.filters.get(self.resolved.range_attr)
        if not isinstance(wanted, TimeRange):
            return None
        if wanted.after is not None and wanted.before is not None:
            return RangeCondition.between(wanted.after, wanted.before)
        if wanted.after is not None:
            return RangeCondition.gt(wanted.after)
        return None if wanted.before is None else RangeCondition.lt(wanted.before)

    # -- requests ----------------------------------------------------------------------------

    def _clause(
        self,
        number: int | str,
        name: str,
        condition: Filter,
        values: dict[str, dict[str, Any]],
        names: dict[str, str],
        alias: str = "",
    ) -> str:
        """One filter as a filter expression on ``#f<number>`` with values ``:f<number>…``
        (the parts of :class:`All` get numbers of their own on the same attribute)."""
        alias, codec = alias or f"#f{number}", self.codec
        match condition:
            case All(parts=parts):
                return " AND ".join(
                    f"({self._clause(f'{number}p{i}', name, part, values, names, alias)})"
                    for i, part in enumerate(parts)
                )
            case In(values=items):
                for position, value in enumerate(items):
                    values[f":f{number}_{position}"] = codec.value(name, value)
                placeholders = ", ".join(f":f{number}_{p}" for p in range(len(items)))
                return f"{alias} IN ({placeholders})"
            case Contains(text=text):
                values[f":f{number}"] = codec.value(name, text)
                return f"contains({alias}, :f{number})"
            case TimeRange(after=after, before=before):
                return self._bounds(number, name, alias, values, ((">", after), ("<", before)))
            case Between(low=low, high=high):
                return self._bounds(number, name, alias, values, ((">=", low), ("<=", high)))
            case Nested(path=path, value=value, in_list=in_list):
                # The value as it is stored inside a map: S, N or BOOL.
                names.update({f"#f{number}_{p}": key for p, key in enumerate(path)})
                values[f":f{number}"] = codec.value(name, {"v": value})["M"]["v"]
                inside = alias + "".join(f".#f{number}_{p}" for p in range(len(path)))
                if in_list:  # contains() on a list compares whole elements
                    values[f":f{number}_l"] = {"S": "L"}
                    listed = f"attribute_type({inside}, :f{number}_l)"
                    return f"{listed} AND contains({inside}, :f{number})"
                return f"{inside} = :f{number}"
            case Equals(value=None):
                values[":fnull"] = {"S": "NULL"}
                return f"(attribute_not_exists({alias}) OR attribute_type({alias}, :fnull))"
            case Equals(value=value):
                values[f":f{number}"] = codec.value(name, value)
                return f"{alias} = :f{number}"
            case _:
                assert_never(condition)

    def _bounds(
        self,
        number: int | str,
        name: str,
        alias: str,
        values: dict[str, dict[str, Any]],
        limits: tuple[tuple[str, Any], tuple[str, Any]],
    ) -> str:
        """A range's bounds (``(operator, bound)``, low then high; ``None`` is no bound)."""
        bounds = []
        for label, (op, bound) in zip("ab", limits, strict=True):
            if bound is not None:
                values[f":f{number}{label}"] = self.codec.value(name, bound)
                bounds.append(f"{alias} {op} :f{number}{label}")
        return " AND ".join(bounds)

    def _request(self, condition: RangeCondition | None) -> dict[str, Any]:
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
        if resolved.tenant_filter:
            names["#fpk"] = "partition_key"
            values[":fpk"] = {"S": str(resolved.tenant)}
            clauses.append("#fpk = :fpk")
        for number, (name, wanted) in enumerate(sorted(self.server_filters.items())):
            names[f"#f{number}"] = name
            clauses.append(f"({self._clause(number, name, wanted, values, names)})")
        if clauses:
            request["FilterExpression"] = " AND ".join(clauses)
        request["ExpressionAttributeNames"] = names
        request["ExpressionAttributeValues"] = values
        return request

    @property
    def _filtering(self) -> bool:
        return self.resolved.tenant_filter or bool(self.filters)

    def _batch(self, wanted: int) -> int:
        return max(wanted, _FILTERED_BATCH) if self._filtering else wanted

    def _position_key(self, after: Mapping[str, Any]) -> Item:
        """The ExclusiveStartKey of the cursor's position: the index's and the table's keys
        of the record the previous page ended with (the hash values come from the listing's
        scope, never from the cursor)."""
        resolved, schema = self.resolved, self.resolved.schema
        key: Item = {resolved.hash_attr: {"S": resolved.hash_value}}
        if schema.tenant_hashed:
            key[schema.hash_key] = {"S": str(resolved.tenant)}
        for name in resolved.order_fields:
            key[name] = self.codec.value(name, after[name])
        return key

    # -- pages and counts --------------------------------------------------------------------

    async def page(self) -> list[Record]:
        """Up to ``limit + 1`` matching records in DynamoDB's order (the extra one, when
        present, proves that another page exists), resuming right after the cursor's record."""
        if self.impossible:
            return []
        resolved = self.resolved
        wanted = resolved.query.limit + 1
        rows: list[Record] = []
        after = resolved.after
        start = None if after is None else self._position_key(after)
        request = self._request(self.key_range)
        while True:
            request["Limit"] = self._batch(wanted - len(rows))
            if start is not None:
                request["ExclusiveStartKey"] = start
            response = await self.runner.call("Query", request)
            for item in response.get("Items", []):
                record = self.codec.decode(item)
                if resolved.admits(record):
                    rows.append(record)
                    if len(rows) >= wanted:
                        return rows
            start = response.get("LastEvaluatedKey")
            if not start:
                return rows

    async def count(self) -> int:
        """How many records match, counted by DynamoDB unless a filter must run here."""
        if self.impossible:
            return 0
        request = self._request(self.key_range)
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
