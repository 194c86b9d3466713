"""Builds the in-memory store from a :class:`StoreConfig` (``memory://``)."""

from __future__ import annotations

from aace.adapters.config import StoreConfig
from aace.adapters.memory.store import MemoryStore

__all__ = ["open_store"]


def open_store(config: StoreConfig) -> MemoryStore:
    """A new, empty in-memory store. No I/O happens here."""
    return MemoryStore(config.codec)
