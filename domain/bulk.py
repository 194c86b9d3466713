"""The input side of ``Repository.put_many``, shared by every adapter.

``put_many`` takes any iterable or async iterable of entities and never holds all of it: the
entities are validated and encoded one at a time (a non-entity, an entity of another schema
or an oversize record fails here, with the package's own errors) and handed to the adapter
in chunks of distinct keys, the last write of a key within a chunk winning. Chunks are handed
over in input order, so an adapter that applies them in order (or, when it overlaps them,
keeps two writes of one key in order) keeps "last write wins" across the whole input.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from typing import Any, TypeAlias, TypeVar

from aace.domain.errors import ValidationError
from aace.domain.records import to_record
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import require_operator
from aace.domain.unit_of_work import check_writer

__all__ = ["BulkInput", "Record", "WriteChunk", "put_in_chunks"]

E = TypeVar("E")
Record = dict[str, Any]
#: What ``put_many`` accepts.
BulkInput: TypeAlias = Iterable[E] | AsyncIterable[E]
#: Writes one chunk of records with distinct keys.
WriteChunk = Callable[[list[Record]], Awaitable[None]]


class _Chunker:
    """Encodes entities of one schema into chunks of at most ``size`` distinct keys."""

    def __init__(self, schema: EntitySchema[Any], size: int) -> None:
        self.schema = schema
        self.size = size
        self.position = 0
        self.pending: dict[tuple[Any, Any], Record] = {}
        #: The tenant of the records so far (``put_many`` crosses tenants in operator
        #: mode only); a platform registry's records have none.
        self.tenant: str | None = None

    def add(self, entity: object) -> bool:
        """Encode ``entity`` into the pending chunk; whether the chunk is now full."""
        schema = self.schema
        if not isinstance(entity, schema.entity):
            raise ValidationError(
                "entities",
                f"item {self.position} is {type(entity).__name__}, not {schema.entity.__name__}"
                f" (put_many of {schema.name})",
            )
        self.position += 1
        record = to_record(schema, entity)
        if not schema.platform:
            self._check_tenant(str(record["partition_key"]))
        self.pending[(record[schema.hash_key], record[schema.range_key])] = record
        return len(self.pending) >= self.size

    def _check_tenant(self, tenant: str) -> None:
        if self.tenant is None:
            self.tenant = tenant
        elif tenant != self.tenant:
            require_operator(f"put_many of {self.schema.name} with records of several tenants")

    def take(self) -> list[Record]:
        chunk = list(self.pending.values())
        self.pending.clear()
        return chunk


async def put_in_chunks(
    schema: EntitySchema[E], entities: BulkInput[E], size: int, write: WriteChunk
) -> None:
    """Validate and encode ``entities`` one by one and await ``write`` for every ``size``
    distinct keys (and once for the rest), in input order.

    An invalid entity raises before the chunk holding it is handed over: every chunk before
    it has been, none after it is. A platform registry's writer is checked first, before
    any of the input is read (``Forbidden`` outside ``as_operator``). Records of several
    tenants are refused (``Forbidden``) at the first record of a second tenant, outside
    operator mode.
    """
    check_writer(schema)
    chunker = _Chunker(schema, size)
    if isinstance(entities, AsyncIterable):
        async for entity in entities:
            if chunker.add(entity):
                await write(chunker.take())
    else:
        try:
            iterator = iter(entities)
        except TypeError:
            raise ValidationError(
                "entities",
                f"must be an iterable or async iterable of {schema.entity.__name__}, "
                f"got {type(entities).__name__}",
            ) from None
        for entity in iterator:
            if chunker.add(entity):
                await write(chunker.take())
    if chunker.pending:
        await write(chunker.take())
