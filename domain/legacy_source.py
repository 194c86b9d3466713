"""The port the migration tool reads the legacy tables through, and the values that cross it.

``aace migrate`` reads the deployed legacy layout (storage-layout.md, "The legacy layout")
page by page in parallel segments, reads parents in batches, adds tenant attributes in place,
and replays each table's change stream. :class:`LegacySource` names exactly those operations,
so the tool's rules run against any implementation: DynamoDB's (the deployed tables) or the
in-memory one the fast tests use.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from aace.domain.errors import StorageError, StorageMisconfigured
from aace.domain.migration import LegacyTable, ParentLink, Unreadable
from aace.domain.schema import EntityKey
from aace.domain.tenancy import PartitionKey

__all__ = [
    "Backfill",
    "ChangeKind",
    "IteratorExpired",
    "LegacyPage",
    "LegacyRecord",
    "LegacySource",
    "Shard",
    "SourceRecord",
    "StreamBatch",
    "StreamEvent",
    "StreamTrimmed",
    "TableAddress",
    "TableInfo",
]

#: A legacy record: its attributes decoded with the new layout's kinds (datetimes as
#: datetimes), unknown attributes kept so that :func:`~aace.domain.migration.migrated`
#: can refuse them.
LegacyRecord = dict[str, Any]
#: What a read gives for one stored item: the record, or why it cannot be decoded.
SourceRecord = LegacyRecord | Unreadable


class IteratorExpired(StorageError):
    """A stream shard's iterator outlived its 15 minutes: get another from the position."""


class StreamTrimmed(StorageMisconfigured):
    """The stream no longer holds what an iterator points at. Once, with an iterator kept
    in memory, that may be the iterator's fault (DynamoDB Local places one taken on an
    empty shard before records written later): get another from the saved position; again
    from the saved position, changes were lost."""

    @classmethod
    def changes_lost(cls) -> StreamTrimmed:
        """The error that stops ``follow``: what it has to read next is gone."""
        return cls(
            "the stream no longer holds the changes follow has to read next (it keeps 24 "
            "hours): changes were lost to this job",
            hint="start over: a new run (another --job), then follow within 24 hours",
        )


@attrs.frozen
class TableAddress:
    """Where one table lives: its store (the kind and what tells two stores apart, such as
    endpoint, region and account; never a secret) and the table's name there. A legacy table
    whose address is the target's is migrated in place."""

    store: tuple[str, ...]
    table: str


@attrs.frozen
class TableInfo:
    """What the source says of one legacy table: its hash key, its record count (an
    estimate on DynamoDB) and its change stream (``stream``: the id :meth:`LegacySource.shards`
    takes, None when off; ``stream_view``: which images it carries)."""

    name: str
    hash_key: str
    item_count: int
    size_bytes: int
    stream: str | None
    stream_view: str | None


@attrs.frozen
class LegacyPage:
    """One page of a segment's scan, and the position after it (None at the end).

    ``wire``: the same records as the source sent them (DynamoDB's attribute-value maps), in
    the same order, when the source has such a form; a target in the same form may take the
    records that only need re-keying as they are. ``records`` may then decode each record
    on first access only."""

    records: Sequence[SourceRecord]
    position: str | None
    wire: Sequence[Mapping[str, Any]] | None = None


@attrs.frozen
class Shard:
    """One shard of a change stream; a child shard follows its parent's changes."""

    shard_id: str
    parent_id: str | None = None


class ChangeKind(enum.Enum):
    """What a change did to a record."""

    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


@attrs.frozen
class StreamEvent:
    """One change of a legacy record: ``new`` is None for a delete, ``old`` set when the
    stream carries old images; ``at``: when it was made (None when the stream does not say)."""

    sequence: str
    kind: ChangeKind
    new: SourceRecord | None
    old: SourceRecord | None
    at: datetime | None


@attrs.frozen
class StreamBatch:
    """One read of a shard: its events, and the iterator to read on with (None: the shard is
    closed and read to its end)."""

    events: tuple[StreamEvent, ...]
    next_iterator: str | None


@attrs.frozen
class Backfill:
    """What an in-place backfill writes: ``record``'s missing tenant attributes, ``tenant``'s."""

    record: LegacyRecord
    tenant: PartitionKey


class LegacySource(Protocol):
    """The deployed legacy tables, as the migration reads (and backfills) them, across every
    tenant."""

    @property
    def name(self) -> str:
        """Where the tables are, for reports and a job's identity (no secret in it)."""
        ...

    def address(self, table: LegacyTable) -> TableAddress:
        """Where ``table`` lives (a target at the same address is migrated in place)."""
        ...

    async def describe(self, table: LegacyTable) -> TableInfo | None:
        """The table's description, or None when it does not exist."""
        ...

    async def page(
        self, table: LegacyTable, segment: int, segments: int, position: str | None, limit: int
    ) -> LegacyPage:
        """Up to ``limit`` records of segment ``segment`` of ``segments``, read on from
        ``position`` (a position an earlier page gave; None: from the start)."""
        ...

    async def distinct_hash_values(self, table: LegacyTable) -> set[str]:
        """The distinct hash-key values of the table (on a re-keyed table: its tenants)."""
        ...

    async def count(self, table: LegacyTable, *, missing: str | None = None) -> int:
        """How many records the table holds (``missing``: only those without it)."""
        ...

    async def parent_tenants(
        self, link: ParentLink, keys: Sequence[EntityKey]
    ) -> dict[EntityKey, PartitionKey]:
        """The tenant each parent found passes on (:func:`~aace.domain.migration.parent_tenant`);
        parents missing, or whose tenant cannot be read, are left out."""
        ...

    async def backfill(
        self, table: LegacyTable, record: Mapping[str, Any], tenant: PartitionKey
    ) -> bool:
        """Add the tenant attributes the stored record lacks; False when it has all three,
        disagrees, or is gone (a re-run changes nothing). Attributes it has never change."""
        ...

    async def shards(self, stream: str) -> list[Shard]:
        """Every shard of the stream, parents before their children."""
        ...

    async def shard_iterator(self, stream: str, shard_id: str, after: str | None) -> str | None:
        """An iterator on the shard after sequence ``after`` (None: its oldest record kept).
        ``StreamTrimmed`` when the stream no longer holds what follows ``after``."""
        ...

    async def read_shard(self, table: LegacyTable, iterator: str) -> StreamBatch:
        """The events an iterator reads next. ``IteratorExpired`` or ``StreamTrimmed`` when
        the iterator cannot be read any more."""
        ...

    async def close(self) -> None: ...
