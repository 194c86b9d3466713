"""``pageNumber`` / ``limit`` over keyset cursors (G1). The platform pages by offset; the
services page by cursor. A per-tenant memo keeps, for each filter set and page size, the
cursor that starts each page read so far and the filter set's total, so page k read right
after page k-1 costs one listing page, and page k out of order at most k. A cursor names
the last record of the page before it, so a write never makes a memoised page skip or
repeat a record; a write through the API forgets the entity's totals for the tenant."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from aace.domain.errors import ValidationError
from aace.domain.query import Page

__all__ = ["DEFAULT_LIMIT", "MAX_LIMIT", "PageMemo", "filter_key", "page_args"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
#: Without a start cursor: page 1 (a cursor memo entry of ``None``).
_FIRST: str | None = None


def page_args(page_number: Any, limit: Any) -> tuple[int, int]:
    """``(page_number, limit)`` with the platform's defaults (1, 100); a limit above 1 000
    or below 1, or a page number below 1, is refused naming the argument."""
    number = 1 if page_number is None else page_number
    size = DEFAULT_LIMIT if limit is None else limit
    if not isinstance(size, int) or isinstance(size, bool) or size < 1 or size > MAX_LIMIT:
        raise ValidationError("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise ValidationError("pageNumber", "must be a whole number from 1")
    return number, size


def filter_key(tenant: str, entity: str, filters: dict[str, Any], limit: int) -> str:
    """The memo's key of one listing: tenant, entity, filter set and page size."""
    return json.dumps([tenant, entity, limit, filters], sort_keys=True, default=str)


class PageMemo:
    """A bounded in-process LRU of page-start cursors and totals, shared by an engine's
    requests (entries name their tenant, so tenants never share one)."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._cursors: OrderedDict[Hashable, str | None] = OrderedDict()
        self._totals: OrderedDict[Hashable, int] = OrderedDict()

    def _remember(self, table: OrderedDict[Hashable, Any], key: Hashable, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self._size:
            table.popitem(last=False)

    async def page(
        self,
        key: str,
        number: int,
        read: Callable[[str | None], Awaitable[Page[Any]]],
    ) -> list[Any]:
        """Page ``number`` of the listing ``key``: from the nearest memoised start at or
        before it, one ``read(cursor)`` per page walked."""
        start, cursor = 1, _FIRST
        for known in range(number, 1, -1):
            if (key, known) in self._cursors:
                start, cursor = known, self._cursors[(key, known)]
                self._cursors.move_to_end((key, known))
                break
        for at in range(start, number + 1):
            if at > 1 and cursor is None:
                return []  # the listing ended before this page
            page = await read(cursor)
            if at == number:
                if page.next_cursor is not None:
                    self._remember(self._cursors, (key, at + 1), page.next_cursor)
                return list(page.items)
            cursor = page.next_cursor
            if cursor is not None:
                self._remember(self._cursors, (key, at + 1), cursor)
        return []

    async def total(self, key: str, count: Callable[[], Awaitable[int]]) -> int:
        """The filter set's total, counted once until a write forgets it."""
        found = self._totals.get(key)
        if found is None:
            found = await count()
            self._remember(self._totals, key, found)
        return found

    def forget_totals(self, tenant: str, entity: str) -> None:
        """A write of ``entity`` for ``tenant``: its totals are counted again."""
        prefix = json.dumps([tenant, entity])[:-1]
        for key in [k for k in self._totals if isinstance(k, str) and k.startswith(prefix)]:
            del self._totals[key]
