"""The DynamoDB store: one connection and worker pool, a model and codec per table."""

from __future__ import annotations

from typing import Any, TypeVar

from pynamodb.models import Model

from aace.adapters.dynamodb.bootstrap import bootstrap, check
from aace.adapters.dynamodb.codec import ItemCodec
from aace.adapters.dynamodb.models import build_model
from aace.adapters.dynamodb.pynamodb_internals import botocore_client
from aace.adapters.dynamodb.repository import DynamoRepository
from aace.adapters.dynamodb.runner import Runner
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.adapters.dynamodb.unit_of_work import DynamoUnitOfWork
from aace.adapters.health import timed_check
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.ports import Health
from aace.domain.query import CursorCodec
from aace.domain.schema import EntitySchema

__all__ = ["DynamoStore"]

E = TypeVar("E")


class DynamoStore:
    """Hands out repositories and units of work; builds nothing until first asked."""

    adapter = "dynamodb"

    def __init__(self, settings: DynamoSettings, codec: CursorCodec) -> None:
        self.settings = settings
        self.codec = codec
        self.runner = Runner(settings)
        self._models: dict[str, type[Model]] = {}
        self._codecs: dict[str, ItemCodec] = {}

    def model(self, schema: EntitySchema[Any]) -> type[Model]:
        """The PynamoDB model of ``schema``'s table (built on first use, then cached)."""
        if schema.name not in self._models:
            self._models[schema.name] = build_model(schema, self.settings)
        return self._models[schema.name]

    def target(self, schema: EntitySchema[Any]) -> tuple[ItemCodec, str]:
        """The item codec and the table name of ``schema``."""
        codec = self._codecs.get(schema.name)
        if codec is None:
            codec = self._codecs[schema.name] = ItemCodec(schema, self.model(schema))
        return codec, self.settings.table_name(schema)

    def repository(self, schema: EntitySchema[E]) -> DynamoRepository[E]:
        return DynamoRepository(self, schema)

    def unit_of_work(self) -> DynamoUnitOfWork:
        return DynamoUnitOfWork(self.runner, self.target, self.repository)

    async def initialize(self) -> None:
        """Create the missing tables of every schema (with the production table options);
        refuse tables that differ from the layout."""
        await bootstrap(self.runner, [self.model(schema) for schema in ALL_SCHEMAS])

    async def verify(self) -> None:
        """Describe the table of every schema, creating nothing: missing tables are
        ``StorageMisconfigured`` naming them all, tables that differ ``TableLayoutMismatch``."""
        await check(self.runner, [self.model(schema) for schema in ALL_SCHEMAS])

    async def ping(self) -> Health:
        """One DescribeTable (the first schema's table, compared with the layout), tried
        once per connection attempt and timed; a failure is reported, never raised."""
        return Health(store=await timed_check(self._probe))

    async def _probe(self) -> str:
        schema = ALL_SCHEMAS[0]
        await check(self.runner, [self.model(schema)])
        return f"table {self.settings.table_name(schema)} at {self.settings.address}"

    async def close(self) -> None:
        """Release the HTTP connections (the store must not be used afterwards)."""
        client = botocore_client(self.runner.connection)
        if client is not None:
            client.close()
