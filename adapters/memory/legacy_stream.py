"""A legacy table's change stream in memory, shaped as DynamoDB Streams: ordered changes with
sequence numbers, in shards (a child shard opens when its parent closes), read through
iterators that expire and from positions the stream may have trimmed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import ValidationError
from aace.domain.legacy_source import (
    ChangeKind,
    IteratorExpired,
    Shard,
    StreamTrimmed,
)

__all__ = ["Change", "Iterators", "MemoryStream", "sequence_text"]

#: What one read of a shard gives at most (as DynamoDB's GetRecords).
READ_LIMIT = 1000


def sequence_text(number: int) -> str:
    """A sequence number as the stream gives it: digits, ordered as text and as numbers."""
    return f"{number:021d}"


@attrs.frozen
class Change:
    """One stored change: the item's images after and before it (as stored, undecoded)."""

    sequence: int
    kind: ChangeKind
    new: Mapping[str, Any] | None
    old: Mapping[str, Any] | None
    at: datetime


@attrs.define
class _Shard:
    shard_id: str
    parent_id: str | None
    changes: list[Change] = attrs.field(factory=list)
    closed: bool = False
    #: The last sequence number trimmed away (0: nothing yet).
    trimmed_through: int = 0


@attrs.define
class MemoryStream:
    """One table's stream: ``stream_id`` names it; ``view`` says which images it keeps."""

    stream_id: str
    view: str
    clock: Callable[[], datetime]
    next_sequence: Callable[[], int]
    shards: list[_Shard] = attrs.field(factory=list)

    def __attrs_post_init__(self) -> None:
        self.shards.append(_Shard(f"{self.stream_id}/shard-0", None))

    def record(
        self, kind: ChangeKind, new: Mapping[str, Any] | None, old: Mapping[str, Any] | None
    ) -> None:
        """Append a change to the open shard (images as the view keeps them)."""
        keeps_old = self.view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
        keeps_new = self.view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
        change = Change(
            self.next_sequence(),
            kind,
            dict(new) if new is not None and keeps_new else None,
            dict(old) if old is not None and keeps_old else None,
            self.clock(),
        )
        self.shards[-1].changes.append(change)

    def split(self) -> None:
        """Close the open shard; its child takes the changes that follow."""
        parent = self.shards[-1]
        parent.closed = True
        self.shards.append(_Shard(f"{self.stream_id}/shard-{len(self.shards)}", parent.shard_id))

    def trim(self) -> None:
        """Drop every change kept so far, as the stream's 24 hours passing would."""
        for shard in self.shards:
            if shard.changes:
                shard.trimmed_through = shard.changes[-1].sequence
                shard.changes.clear()

    def listed(self) -> list[Shard]:
        return [Shard(s.shard_id, s.parent_id) for s in self.shards]

    def shard(self, shard_id: str) -> _Shard:
        found = next((s for s in self.shards if s.shard_id == shard_id), None)
        if found is None:
            raise ValidationError("shard", f"no shard {shard_id!r} in {self.stream_id}")
        return found

    def start(self, shard_id: str, after: str | None) -> int:
        """The sequence number an iterator on ``shard_id`` reads after (``after``: None for
        the oldest change kept); ``StreamTrimmed`` when changes after it are gone."""
        shard = self.shard(shard_id)
        if after is None:
            return shard.trimmed_through
        try:
            number = int(after)
        except ValueError as exc:
            raise ValidationError("after", f"{after!r} is not a sequence number") from exc
        if number < shard.trimmed_through:
            raise StreamTrimmed.changes_lost()
        return number

    def read(self, shard_id: str, after: int) -> tuple[list[Change], int | None]:
        """The changes after sequence ``after`` (at most :data:`READ_LIMIT`), and the
        sequence to read on after (None: the shard is closed and read to its end)."""
        shard = self.shard(shard_id)
        if after < shard.trimmed_through:
            raise StreamTrimmed.changes_lost()
        changes = [c for c in shard.changes if c.sequence > after][:READ_LIMIT]
        last = changes[-1].sequence if changes else after
        done = shard.closed and not any(c.sequence > last for c in shard.changes)
        return changes, None if done else last


@attrs.define
class Iterators:
    """Shard iterators as opaque text; every iterator handed out before :meth:`expire` is
    refused afterwards (``IteratorExpired``), as DynamoDB refuses one after 15 minutes."""

    generation: int = 0

    def make(self, stream_id: str, shard_id: str, after: int) -> str:
        return f"{self.generation}|{stream_id}|{shard_id}|{after}"

    def parse(self, iterator: str) -> tuple[str, str, int]:
        """(stream id, shard id, sequence to read after) of a live iterator."""
        try:
            generation, stream_id, shard_id, after = iterator.rsplit("|", 3)
            number, made = int(after), int(generation)
        except ValueError as exc:
            raise ValidationError("iterator", f"{iterator!r} is not a shard iterator") from exc
        if made != self.generation:
            raise IteratorExpired("the shard iterator expired")
        return stream_id, shard_id, number

    def expire(self) -> None:
        self.generation += 1
