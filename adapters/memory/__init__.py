"""The in-memory adapter (the reference implementation of the ports)."""

from aace.adapters.memory.store import MemoryRepository, MemoryStore, MemoryUnitOfWork

__all__ = ["MemoryRepository", "MemoryStore", "MemoryUnitOfWork"]
