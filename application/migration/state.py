"""A job's progress, kept in the target store's ``migration_state`` table.

Every piece is one record keyed by (job, item): ``job`` (what the job is: its segments and
when its scan began), ``segment/<table>/<n>`` (a scan segment's position, counts and
failures, saved after every written page), ``shard/<table>/<shard id>`` (how far ``follow``
has read a stream shard) and ``tombstone/<table>/<hash>/<range>`` (a delete ``follow``
applied, re-applied once the bulk copy is done). Writes go under the operator's
:class:`PlatformContext`; nothing here is ever written in a dry run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import attrs

from aace.domain.entities import MIGRATION_STATE, MigrationState
from aace.domain.fields import utc_now
from aace.domain.ports import ABSENT, ANY, Condition, Store
from aace.domain.query import MAX_PAGE_SIZE, Query, RangeCondition
from aace.domain.tenancy import PlatformContext, as_operator
from aace.domain.unit_of_work import NO_TENANT

__all__ = ["OPERATOR", "JobState"]

#: Who the migration tool's writes are made by.
OPERATOR = PlatformContext(updated_by="aace migrate")


@attrs.define
class JobState:
    """The state records of one job in one store (``dry``: reads nothing back, writes
    nothing; a dry run keeps its progress in memory only). Every read and write is made in
    operator mode: on PostgreSQL the state is the operator's alone (revision 0005)."""

    store: Store
    job: str
    dry: bool = False
    _memory: dict[str, dict[str, Any]] = attrs.field(factory=dict)

    @property
    def _repo(self) -> Any:
        return self.store.repository(MIGRATION_STATE)

    async def get(self, item: str) -> dict[str, Any] | None:
        if self.dry:
            return self._memory.get(item)
        with as_operator(OPERATOR):
            found = await self._repo.find(NO_TENANT, (self.job, item))
        return None if found is None else dict(found.state)

    async def put(self, item: str, state: Mapping[str, Any], *, create: bool = False) -> None:
        """Save ``state``; ``create``: only if there is none yet (``Conflict`` otherwise)."""
        if self.dry:
            self._memory[item] = dict(state)
            return
        record = MigrationState(
            job=self.job, item=item, state=dict(state), updated_by=OPERATOR.updated_by
        )
        condition: Condition = ABSENT if create else ANY
        with as_operator(OPERATOR):
            await self._repo.put(record, condition=condition)

    async def delete(self, item: str) -> None:
        if self.dry:
            self._memory.pop(item, None)
            return
        with as_operator(OPERATOR):
            await self._repo.delete(NO_TENANT, (self.job, item), condition=ANY)

    async def items(self, prefix: str) -> AsyncIterator[tuple[str, dict[str, Any]]]:
        """Every item whose name starts with ``prefix``, in name order."""
        if self.dry:
            for item in sorted(self._memory):
                if item.startswith(prefix):
                    yield item, self._memory[item]
            return
        within = RangeCondition.begins_with(prefix) if prefix else None  # "": every item
        query = Query(parent=self.job, range=within, limit=MAX_PAGE_SIZE)
        while True:
            with as_operator(OPERATOR):
                page = await self._repo.query(NO_TENANT, query)
            for record in page.items:
                yield record.item, dict(record.state)
            if page.next_cursor is None:
                return
            query = attrs.evolve(query, cursor=page.next_cursor)


def stamp_now() -> str:
    """Now, as the ISO-8601 text the state records hold."""
    return utc_now().isoformat()
