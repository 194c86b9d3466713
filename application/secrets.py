"""Sealing and opening the secret attributes of records (``EntitySchema.secrets``), for the
services that write them and the few places that need their values (behaviour.md §11).

Without keys, secrets are stored as given; with keys (``Settings.secret_keys`` or a
``key_provider``), every secret attribute is stored as an envelope bound to its table,
tenant, record and attribute. A clear value written earlier is read as it is and sealed on its
next write (or by ``aace secrets rotate``).
"""

from __future__ import annotations

import asyncio
import json
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from aace.application.settings import Settings
from aace.domain.schema import EntitySchema
from aace.domain.secrets import (
    DataKey,
    Envelope,
    KeyProvider,
    UnknownSecretKey,
    associated_data,
    is_envelope,
)

__all__ = ["CachedKeys", "SecretBox", "key_provider_of"]

E = TypeVar("E")


def key_provider_of(settings: Settings) -> KeyProvider | None:
    """The provider ``settings`` configure: their ``key_provider``, the local keys of
    ``secret_keys``, or none (secrets stored as given)."""
    if settings.key_provider is not None:
        provider: KeyProvider = settings.key_provider
        return provider
    if settings.secret_keys:
        from aace.adapters.secrets import LocalKeys

        return LocalKeys(settings.secret_keys)
    return None


class CachedKeys:
    """A provider in front of another (a KMS) that keeps the sealing key and the opening
    keys it fetched for ``seconds`` (``clock``: monotonic seconds), so a busy process asks
    the KMS about once per key per period instead of once per record. Single flight:
    callers that miss the same key at once wait for one fetch (one lock per key and event
    loop, so threads each running their own loop can share the provider)."""

    def __init__(
        self,
        inner: KeyProvider,
        *,
        seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._inner = inner
        self._seconds = seconds
        self._clock = clock
        self._sealing: tuple[float, DataKey] | None = None
        self._opening: dict[str, tuple[float, DataKey]] = {}
        self._locks: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, weakref.WeakValueDictionary[str | None, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    def __repr__(self) -> str:
        return f"CachedKeys({self._inner!r}, seconds={self._seconds})"

    async def sealing_key(self) -> DataKey:
        cached = self._fresh(self._sealing)
        if cached is not None:
            return cached
        async with self._lock(None):
            cached = self._fresh(self._sealing)  # fetched while this caller waited
            if cached is None:
                cached = await self._inner.sealing_key()
                now = self._clock()
                self._sealing = (now, cached)
                self._opening[cached.key_id] = (now, cached)
            return cached

    async def opening_key(self, key_id: str) -> DataKey:
        cached = self._fresh(self._opening.get(key_id))
        if cached is not None:
            return cached
        async with self._lock(key_id):
            cached = self._fresh(self._opening.get(key_id))
            if cached is None:
                cached = await self._inner.opening_key(key_id)
                now = self._clock()
                kept = {k: v for k, v in self._opening.items() if now - v[0] < self._seconds}
                self._opening = kept | {key_id: (now, cached)}
            return cached

    def _fresh(self, entry: tuple[float, DataKey] | None) -> DataKey | None:
        if entry is None or self._clock() - entry[0] >= self._seconds:
            return None
        return entry[1]

    def _lock(self, name: str | None) -> asyncio.Lock:
        """The lock of ``name`` (``None``: the sealing key) on the running loop."""
        loop = asyncio.get_running_loop()
        locks = self._locks.get(loop)
        if locks is None:
            locks = self._locks[loop] = weakref.WeakValueDictionary()
        lock = locks.get(name)
        if lock is None:
            lock = locks[name] = asyncio.Lock()
        return lock


@attrs.frozen
class SecretBox:
    """Seals a record's secret attributes before it is written and opens one where its
    value is needed. ``provider`` ``None``: secrets stay as given."""

    provider: KeyProvider | None

    @classmethod
    def of(cls, settings: Settings) -> SecretBox:
        return cls(key_provider_of(settings))

    async def seal(self, schema: EntitySchema[E], entity: E) -> E:
        """``entity`` with every secret attribute sealed under the sealing key: a clear
        value, or an envelope under another key (opened and sealed again); an envelope
        under the sealing key stays as it is."""
        if self.provider is None or not schema.secrets:
            return entity
        from aace.adapters.secrets import open_bytes, seal_bytes

        key = await self.provider.sealing_key()
        changes: dict[str, Any] = {}
        for name in sorted(schema.secrets):
            value = getattr(entity, name)
            associated = associated_data(schema, entity, name)
            if is_envelope(value):
                envelope = Envelope.of(value)
                if envelope.key_id == key.key_id:
                    continue
                old = await self.provider.opening_key(envelope.key_id)
                plaintext = open_bytes(old, envelope, associated)
            else:
                plaintext = _plain(value)
            changes[name] = seal_bytes(key, plaintext, associated).as_map()
        return attrs.evolve(entity, **changes) if changes else entity  # type: ignore[misc]

    async def open(self, schema: EntitySchema[Any], entity: Any, name: str) -> Any:
        """The value of the secret attribute ``name`` of ``entity`` (a record as stored):
        a clear value as it is; an envelope opened (``UnknownSecretKey`` when no key has
        its id, ``SecretMoved`` when it belongs to another record or was altered)."""
        value = getattr(entity, name)
        if not is_envelope(value):
            return value
        envelope = Envelope.of(value)
        if self.provider is None:
            raise UnknownSecretKey(envelope.key_id)
        from aace.adapters.secrets import open_bytes

        key = await self.provider.opening_key(envelope.key_id)
        associated = associated_data(schema, entity, name)
        return json.loads(open_bytes(key, envelope, associated))

    async def sealing_key_id(self) -> str | None:
        """The id new envelopes carry (``None``: no keys)."""
        return None if self.provider is None else (await self.provider.sealing_key()).key_id


def _plain(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")
