"""The repository of one entity over its DynamoDB table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
from botocore.exceptions import BotoCoreError, ClientError

from aace.adapters.dynamodb.batch import WRITE_CHUNK, batch_get, batch_write
from aace.adapters.dynamodb.codec import Item, ItemCodec
from aace.adapters.dynamodb.conditions import owns
from aace.adapters.dynamodb.errors import translate
from aace.adapters.dynamodb.listing import Listing
from aace.adapters.dynamodb.scan import Scan
from aace.adapters.dynamodb.unit_of_work import apply_one
from aace.domain.bulk import BulkInput, put_in_chunks
from aace.domain.errors import NotFound
from aace.domain.ports import ANY, PRESENT, Condition, ScanPage
from aace.domain.query import Page, Query, next_cursor, resolve
from aace.domain.records import from_record
from aace.domain.scan import ScanRequest, refuse_tenant_hashed
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey, require_operator
from aace.domain.unit_of_work import NO_TENANT, DeleteAction, PutAction

if TYPE_CHECKING:
    from aace.adapters.dynamodb.store import DynamoStore

__all__ = ["DynamoRepository"]

E = TypeVar("E")


class DynamoRepository(Generic[E]):
    """Reads check the tenant; writes go through the same conditions as a unit of work."""

    def __init__(self, store: DynamoStore, schema: EntitySchema[E]) -> None:
        self._store = store
        self.schema = schema
        self._codec: ItemCodec
        self._codec, self._table = store.target(schema)

    def _own(self, tenant: PartitionKey, item: Item | None) -> E | None:
        """The entity, or ``None`` when missing or another tenant's (which looks the same)."""
        if item is None or not owns(self.schema, tenant, item):
            return None
        return from_record(self.schema, self._codec.decode(item))

    async def get(self, tenant: PartitionKey, key: EntityKey) -> E:
        found = await self.find(tenant, key)
        if found is None:
            raise NotFound(f"{self.schema.name} {key} not found")
        return found

    async def find(self, tenant: PartitionKey, key: EntityKey) -> E | None:
        request = {
            "TableName": self._table,
            "Key": self._codec.key(tenant, self.schema.check_key(key)),
            "ConsistentRead": True,
        }
        response = await self._store.runner.send("GetItem", request)
        return self._own(tenant, response.get("Item"))

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        checked = [self.schema.check_key(k) for k in keys]
        wire = {key: self._codec.key(tenant, key) for key in checked}  # distinct keys
        found = await batch_get(
            self._store.runner, self._table, list(wire.values()), self._codec.key_of_item
        )
        results: dict[EntityKey, E | None] = {
            key: self._own(tenant, found.get(self._codec.key_of_item(item)))
            for key, item in wire.items()
        }
        return [results[key] for key in checked]

    async def put(self, entity: E, *, condition: Condition = ANY) -> None:
        await apply_one(
            self._store.runner, self._store.target, PutAction.of(self.schema, entity, condition)
        )

    async def put_many(self, entities: BulkInput[E]) -> None:
        """Streamed as BatchWriteItem requests of 25 distinct keys, a bounded number in
        flight (see :func:`batch_write`)."""
        produce = partial(put_in_chunks, self.schema, entities, WRITE_CHUNK)
        await batch_write(self._store.runner, self._table, self._codec, produce)

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None:
        action = DeleteAction(self.schema, tenant, self.schema.check_key(key), condition)
        await apply_one(self._store.runner, self._store.target, action)

    def _listing(self, tenant: PartitionKey, query: Query, *, paged: bool) -> Listing:
        codec = self._store.codec if paged else None
        resolved = resolve(self.schema, tenant, query, codec)
        return Listing(self._store.runner, self._codec, self._table, resolved)

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        listing = self._listing(tenant, query, paged=True)
        try:
            rows = await listing.page()
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, table=self._table) from exc
        page = rows[: query.limit]
        cursor = None
        if len(rows) > query.limit:
            cursor = next_cursor(listing.resolved, self._store.codec, page[-1])
        return Page([from_record(self.schema, r) for r in page], cursor)

    async def find_in_any_tenant(self, key: EntityKey) -> E | None:
        require_operator("find_in_any_tenant")
        checked = refuse_tenant_hashed(self.schema, key)
        request = {
            "TableName": self._table,
            "Key": self._codec.key(NO_TENANT, checked),
            "ConsistentRead": True,
        }
        item = (await self._store.runner.send("GetItem", request)).get("Item")
        return None if item is None else from_record(self.schema, self._codec.decode(item))

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        require_operator("exists_in_any_tenant")
        names = {f"#e{n}": name for n, name in enumerate(equals)}
        values = {
            f":e{n}": self._codec.value(name, v) for n, (name, v) in enumerate(equals.items())
        }
        request: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": " AND ".join(f"#e{n} = :e{n}" for n in range(len(equals))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Select": "COUNT",
        }
        while True:
            response = await self._store.runner.send("Scan", request)
            if response.get("Count", 0):
                return True
            if "LastEvaluatedKey" not in response:
                return False
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        listing = self._listing(tenant, attrs.evolve(query, cursor=None), paged=False)
        try:
            return await listing.count()
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, table=self._table) from exc

    async def scan(
        self,
        *,
        segment: int = 0,
        segments: int = 1,
        position: str | None = None,
        limit: int = 100,
        tenant: PartitionKey | None = None,
    ) -> ScanPage[E]:
        """One strongly consistent ``Scan`` request of the segment (``Limit`` items read),
        or with ``tenant`` on a table hashed on the tenant a ``Query`` of its partition,
        all in segment 0 (see :mod:`.scan`); the position is ``LastEvaluatedKey`` as JSON."""
        scan = Scan(
            ScanRequest.check(
                self.schema,
                segment=segment,
                segments=segments,
                position=position,
                limit=limit,
                tenant=tenant,
                bucketed=False,
            )
        )
        records, following = await scan.page(self._store.runner, self._codec, self._table)
        return ScanPage([from_record(self.schema, r) for r in records], following)
