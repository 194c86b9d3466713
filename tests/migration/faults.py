"""A target store that fails on purpose: the N-th write raises a storage error, as a crash
or a lost connection would stop a job mid-page."""

from __future__ import annotations

from typing import Any

from aace.domain.errors import StorageUnavailable
from aace.domain.ports import Store


class Countdown:
    def __init__(self, writes: int) -> None:
        self.left = writes

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise StorageUnavailable("injected failure: the job stops here")


class _FailingRepository:
    def __init__(self, inner: Any, countdown: Countdown) -> None:
        self._inner = inner
        self._countdown = countdown

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def put(self, entity: Any, **kwargs: Any) -> None:
        self._countdown.tick()
        await self._inner.put(entity, **kwargs)


class _FailingWriter:
    """A bulk writer whose writes count one write per record: the batch under way when the
    countdown runs out writes the records before the failing one, then raises."""

    def __init__(self, inner: Any, countdown: Countdown) -> None:
        self._inner = inner
        self._countdown = countdown

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def write(self, records: Any, *args: Any) -> Any:
        allowed = min(len(records), max(0, self._countdown.left))
        if allowed < len(records):
            if allowed:
                await self._inner.write(records[:allowed], *args)
            self._countdown.left -= allowed
            self._countdown.tick()
        self._countdown.left -= len(records)
        return await self._inner.write(records, *args)


class FailingStore:
    """``store`` whose repositories' puts fail after ``writes`` of them (state records
    included, so a failure may also land between a page's writes and its checkpoint)."""

    def __init__(self, store: Store, writes: int) -> None:
        self._inner = store
        self.countdown = Countdown(writes)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def repository(self, schema: Any) -> Any:
        return _FailingRepository(self._inner.repository(schema), self.countdown)

    def migration_writer(self, schema: Any, copies: int, in_flight: int) -> Any:
        """The store's bulk writer, failing on the same countdown (None: it has none)."""
        from aace.application.migration.batched import page_writer

        inner = page_writer(self._inner, schema, copies, in_flight)
        return None if inner is None else _FailingWriter(inner, self.countdown)
