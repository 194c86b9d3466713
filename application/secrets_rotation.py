"""``aace secrets rotate`` and ``aace secrets status``: every stored secret sealed under
the first key, and a count of what is under which key.

Rotation reads each table that holds secrets page by page as the operator (a scan of every
tenant: on PostgreSQL operator mode, which row-level security admits), seals again each
record whose secrets are clear or under another key, and saves its position after every
page in the store's ``migration_state`` table (job ``secrets-rotate/<key id>``), so a run
killed at any point resumes where it stopped and changes nothing twice. Each write is
conditioned on the record's ``updated_at`` and its secrets being what was read, so it never
overwrites a concurrent update (which sealed the record itself); ``updated_at`` and
``updated_by`` are left as they were: the value did not change, only its envelope. A record
no configured key opens (an unknown key id, an envelope moved or altered) is counted
``unreadable`` and left as it is; the run carries on. At the end it erases what it can of
the old bytes (:mod:`aace.application.secrets_erase`), on every run, so a run after a
finished one retries an erasure that another connection kept from completing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import attrs

from aace.application.migration.state import JobState
from aace.application.secrets import SecretBox
from aace.application.secrets_erase import erase_old_bytes
from aace.domain.entities import ALL_SCHEMAS
from aace.domain.errors import ConditionFailed, NotFound, ValidationError
from aace.domain.fields import utc_now
from aace.domain.ports import Condition, Repository, Store
from aace.domain.schema import EntitySchema
from aace.domain.secrets import (
    LISTED_KEY_ID_CHARS,
    Envelope,
    SecretMoved,
    UnknownSecretKey,
    is_envelope,
    shown_key_id,
)
from aace.domain.tenancy import PlatformContext, as_operator

__all__ = ["OPERATOR", "Rotation", "rotate_secrets", "secret_schemas", "secrets_status"]

#: Who rotation acts as (operator mode: it reads every tenant's records).
OPERATOR = PlatformContext(updated_by="aace secrets")
#: What a checkpoint counts per table.
OUTCOMES = ("sealed", "already", "changed", "gone", "unreadable")
#: Why a record is unreadable when no key id says it: its envelope does not open for it.
MOVED = "moved or altered"
#: Called after each checkpoint with the table and its counts so far (tests stop runs here).
Progress = Callable[[str, dict[str, int]], Awaitable[None]]


def secret_schemas() -> tuple[EntitySchema[Any], ...]:
    """The tables with secret attributes."""
    return tuple(s for s in ALL_SCHEMAS if s.secrets)


@attrs.frozen
class Rotation:
    """What a rotation did: per table, how many records it sealed again, found already
    under the first key, left to a concurrent update, found deleted, or could not open
    (``unreadable``: by sanitised key id, or :data:`MOVED`); what it could not erase. When
    every table was finished by an earlier run, ``finished_at`` says when and
    ``elsewhere`` what ``status`` finds not under the first key (written since, by a
    process with an older key list or none)."""

    key_id: str
    tables: dict[str, dict[str, int]]
    note: str
    unreadable: dict[str, int] = attrs.field(factory=dict)
    finished_at: str | None = None
    elsewhere: dict[str, dict[str, int]] = attrs.field(factory=dict)

    @property
    def complete(self) -> bool:
        """Whether every record is under the first key (none left unreadable)."""
        return not self.unreadable and not self.elsewhere


async def rotate_secrets(
    store: Store,
    box: SecretBox,
    *,
    page_size: int = 100,
    restart: bool = False,
    progress: Progress | None = None,
    clock: Callable[[], datetime] = utc_now,
    pause: Callable[[float], Awaitable[None]] | None = None,
) -> Rotation:
    """Seal every secret of ``store`` under ``box``'s sealing key (see the module);
    ``clock`` dates the end of the job, ``pause`` waits between tries of the erasure
    (:func:`~aace.application.secrets_erase.erase_old_bytes`)."""
    key_id = await box.sealing_key_id()
    if key_id is None:
        raise ValidationError("secret_keys", "rotation needs keys: set AACE_SECRET_KEYS")
    state = JobState(store, f"secrets-rotate/{key_id}")
    tables: dict[str, dict[str, int]] = {}
    unreadable: Counter[str] = Counter()
    earlier: list[str | None] = []
    for schema in secret_schemas():
        run = _TableRun(store.repository(schema), box, state, clock)
        tables[schema.name] = await run.rotate(page_size, restart, progress)
        unreadable.update(run.unreadable)
        earlier.append(run.finished_earlier)
    elsewhere: dict[str, dict[str, int]] = {}
    finished = None
    if earlier and all(earlier):  # nothing to do: say what status finds not under the key
        finished = max(e for e in earlier if e)
        sealing = shown_key_id(key_id, LISTED_KEY_ID_CHARS)
        for table, counts in (await secrets_status(store)).items():
            if left := {k: n for k, n in counts.items() if k != sealing}:
                elsewhere[table] = left
    note = await erase_old_bytes(store, pause=pause)
    return Rotation(key_id, tables, note, dict(unreadable), finished, elsewhere)


@attrs.define
class _TableRun:
    """One table's part of a rotation: its checkpoint, counts and unreadable records."""

    repository: Repository[Any]
    box: SecretBox
    state: JobState
    clock: Callable[[], datetime]
    unreadable: Counter[str] = attrs.field(factory=Counter)
    finished_earlier: str | None = None

    async def rotate(
        self, page_size: int, restart: bool, progress: Progress | None
    ) -> dict[str, int]:
        name = self.repository.schema.name
        item = f"segment/{name}/0"
        saved = None if restart else await self.state.get(item)
        saved = saved or {"position": None, "done": False, "counts": {}}
        if saved["done"]:
            self.finished_earlier = str(saved.get("finished_at") or "an unknown time")
        counts = Counter(dict.fromkeys(OUTCOMES, 0) | saved["counts"])
        self.unreadable.update(saved.get("unreadable", {}))
        position = saved["position"]
        while not saved["done"]:
            with as_operator(OPERATOR):
                page = await self.repository.scan(position=position, limit=page_size)
            for record in page.items:
                counts[await self._reseal(record)] += 1
            position = page.position
            saved = {
                "position": position,
                "done": position is None,
                "counts": dict(counts),
                "unreadable": dict(self.unreadable),
            }
            if position is None:
                saved["finished_at"] = self.clock().isoformat()
            await self.state.put(item, saved)
            if progress is not None:
                await progress(name, dict(counts))
        return dict(counts)

    async def _reseal(self, record: Any) -> str:
        outcome, reason = await reseal(self.repository, self.box, record)
        if reason is not None:
            self.unreadable[reason] += 1
        return outcome


async def reseal(
    repository: Repository[Any], box: SecretBox, record: Any
) -> tuple[str, str | None]:
    """Seal ``record`` again unless it is under the sealing key, never over a newer write
    (the condition names ``updated_at`` and every secret as read): the outcome, and why it
    is unreadable when it is (a sanitised key id, or :data:`MOVED`)."""
    schema = repository.schema
    try:
        sealed = await box.seal(schema, record)
    except UnknownSecretKey as exc:
        return "unreadable", exc.key_id
    except SecretMoved:
        return "unreadable", MOVED
    if sealed is record:
        return "already", None
    as_read = {name: getattr(record, name) for name in sorted(schema.secrets)}
    condition = Condition.present(updated_at=record.updated_at, **as_read)
    try:
        await repository.put(sealed, condition=condition)
    except ConditionFailed:
        return "changed", None  # updated meanwhile: that write sealed it under the first key
    except NotFound:
        return "gone", None
    return "sealed", None


async def secrets_status(store: Store) -> dict[str, dict[str, int]]:
    """Per table with secrets, how many records hold them under which key id, and how
    many in clear (``clear``): one scan as the operator."""
    found: dict[str, dict[str, int]] = {}
    for schema in secret_schemas():
        repository = store.repository(schema)
        counts: Counter[str] = Counter()
        position = None
        while True:
            with as_operator(OPERATOR):
                page = await repository.scan(position=position, limit=1000)
            for record in page.items:
                for name in schema.secrets:
                    counts[_key_of(getattr(record, name))] += 1
            position = page.position
            if position is None:
                break
        found[schema.name] = dict(counts)
    return found


def _key_of(value: Any) -> str:
    """What ``status`` counts a stored secret under: its sanitised key id, ``clear``, or
    ``damaged`` for an envelope that cannot be read at all."""
    if not is_envelope(value):
        return "clear"
    try:
        return shown_key_id(Envelope.of(value).key_id, LISTED_KEY_ID_CHARS)
    except SecretMoved:
        return "damaged"
