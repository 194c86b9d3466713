"""The migration's bulk copy into DynamoDB: BatchWriteItem of 25 items, several in flight, each
request's consumed write units reported, unprocessed items sent again after a jittered
backoff; and legacy items re-keyed on the wire when they need nothing else.

BatchWriteItem is unconditional: the caller decides when it is safe (the job's write fence,
docs/migration.md). Requests go through the store's :class:`Runner` (its retries of transient
failures, its error translation, its worker pool: one thread hop per request of 25 items).
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import Any

import anyio

from aace.adapters.dynamodb.batch import WRITE_CHUNK
from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.runner import Runner, run_concurrently
from aace.domain.errors import StorageUnavailable, ValidationError
from aace.domain.migration import Rekeying, rekeyed_attributes
from aace.domain.schema import AttrKind
from aace.domain.tenancy import PartitionKey

__all__ = ["DynamoBulkWriter", "WireRekey"]

#: Takes ``units`` write capacity units from the job's budget before a request (waits for
#: them), and gives back or takes more once the request says what it consumed.
Charge = Callable[[float], Awaitable[None]]
Settle = Callable[[float, float], None]

#: How PynamoDB writes a datetime: ``2025-06-01T00:00:00.000000+0000``.
_DATETIME_LENGTH, _UTC = 31, "+0000"


class WireRekey:
    """Re-keys a legacy item on the wire (adds ``partition_key`` and ``part_id``) when the
    table's :class:`Rekeying` rule says it needs nothing else and every attribute has the
    wire type the new layout reads (datetimes as PynamoDB writes them); None otherwise (the
    record then takes the entity round trip and is validated)."""

    def __init__(self, rule: Rekeying, codec: ItemCodec) -> None:
        self.rule = rule
        self.types = {name: attribute.attr_type for name, attribute in codec.attributes.items()}
        schema = codec.schema
        kinds = schema.attribute_kinds
        self.dates = frozenset(n for n, kind in kinds.items() if kind is AttrKind.DT)
        #: Key attributes of the table and its indexes: DynamoDB refuses an empty one.
        self.keys = frozenset(
            {schema.hash_key, schema.range_key}
            | {name for index in schema.indexes for name in (index.hash_key, index.range_key)}
        )
        self._tenants: dict[str, bool] = {}

    def __call__(
        self, item: Mapping[str, Mapping[str, Any]], parent: PartitionKey | None = None
    ) -> tuple[str, Item] | None:
        """(the tenant, the re-keyed item), or None; ``parent``: the tenant a child without
        ``endpoint_id`` takes from its parent."""
        if not self.rule.applies(set(item), from_parent=parent is not None):
            return None
        types = self.types
        for name, value in item.items():
            if len(value) != 1 or types.get(name) not in value:
                return None
            if name in self.keys and value.get("S") == "":
                return None  # an empty key: the validators decide
            if name in self.dates:
                text = value["S"]
                if len(text) != _DATETIME_LENGTH or not text.endswith(_UTC):
                    return None
        if parent is not None:
            added = {
                "partition_key": str(parent),
                "endpoint_id": parent.endpoint_id,
                "part_id": parent.part_id,
            }
        else:
            endpoint = item["endpoint_id"]["S"]
            if not self._valid_tenant(endpoint):
                return None
            added = rekeyed_attributes(endpoint)
        rekeyed: Item = {**item}  # type: ignore[dict-item]
        for name, text in added.items():
            rekeyed[name] = {"S": text}
        return added["partition_key"], rekeyed

    def _valid_tenant(self, endpoint: str) -> bool:
        valid = self._tenants.get(endpoint)
        if valid is None:
            try:
                PartitionKey(endpoint, endpoint)
                valid = True
            except ValidationError:
                valid = False
            self._tenants[endpoint] = valid
        return valid


class DynamoBulkWriter:
    """Writes one table's items with BatchWriteItem (``in_flight`` requests at once per
    :meth:`write`), counting each request's consumed write units (``ReturnConsumedCapacity``)
    against the caller's budget."""

    def __init__(
        self, runner: Runner, table: str, codec: ItemCodec, *, copies: int = 1, in_flight: int = 4
    ) -> None:
        self.runner = runner
        self.table = table
        self.codec = codec
        self.copies = copies
        self.in_flight = in_flight
        #: Requests sent, BatchWriteItem rounds included (for reports and benchmarks).
        self.requests = 0

    async def is_empty(self) -> bool:
        """Whether the table holds no item (one strongly consistent Scan of one item)."""
        request = {"TableName": self.table, "Limit": 1, "ConsistentRead": True}
        response = await self.runner.send("Scan", request)
        return not response.get("Items") and "LastEvaluatedKey" not in response

    async def write(
        self, items: Sequence[Item], charge: Charge | None = None, settle: Settle | None = None
    ) -> None:
        """Put every item (distinct keys), :data:`WRITE_CHUNK` a request, ``in_flight`` at
        once; whatever DynamoDB leaves unprocessed is sent again after a capped, jittered
        exponential backoff (the store's retry policy), and runs out as
        ``StorageUnavailable``. ``ValidationError`` (a request DynamoDB refused, such as an
        item over 400 KB) names no item: the caller writes that request's items one by one."""
        slots = anyio.Semaphore(self.in_flight)
        chunks = [
            items[start : start + WRITE_CHUNK] for start in range(0, len(items), WRITE_CHUNK)
        ]

        async def one(chunk: Sequence[Item]) -> None:
            async with slots:
                await self._until_processed(list(chunk), charge, settle)

        await run_concurrently([partial(one, chunk) for chunk in chunks])

    async def _until_processed(
        self, items: list[Item], charge: Charge | None, settle: Settle | None
    ) -> None:
        pending: list[dict[str, Any]] = [{"PutRequest": {"Item": item}} for item in items]
        tries = 0

        async def one_round() -> None:
            nonlocal pending, tries
            tries += 1
            pending = await self._send(pending, charge, settle)
            if pending:
                raise _Unprocessed

        try:
            await self.runner.retry(_is_unprocessed, one_round)
        except _Unprocessed:
            raise StorageUnavailable(
                f"BatchWriteItem on {self.table}: {len(pending)} items stayed unprocessed "
                f"after {tries} tries",
                hint="give the table more capacity, or lower --max-wcu",
            ) from None

    async def _send(
        self, pending: list[dict[str, Any]], charge: Charge | None, settle: Settle | None
    ) -> list[dict[str, Any]]:
        estimate = float(len(pending) * self.copies)
        if charge is not None:
            await charge(estimate)
        request = {"RequestItems": {self.table: pending}, "ReturnConsumedCapacity": "TOTAL"}
        self.requests += 1
        response = await self.runner.send("BatchWriteItem", request)
        left: list[dict[str, Any]] = response.get("UnprocessedItems", {}).get(self.table, [])
        if settle is not None:
            settle(estimate, consumed(response, estimate * (1 - len(left) / len(pending))))
        return left


def consumed(response: Mapping[str, Any], otherwise: float) -> float:
    """The write units a response says its request consumed (``otherwise`` when it says
    nothing, as some emulators do)."""
    capacity = response.get("ConsumedCapacity")
    if not capacity:
        return otherwise
    return float(math.fsum(float(c.get("CapacityUnits", 0.0)) for c in capacity))


class _Unprocessed(Exception):
    """A round left items unprocessed: the next round sends them after a wait."""


def _is_unprocessed(error: BaseException) -> bool:
    return isinstance(error, _Unprocessed)
