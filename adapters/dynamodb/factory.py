"""Builds the DynamoDB store from a :class:`StoreConfig` (``dynamodb://host:port?…``)."""

from __future__ import annotations

from aace.adapters.config import StoreConfig
from aace.adapters.dynamodb.settings import DynamoSettings
from aace.adapters.dynamodb.store import DynamoStore

__all__ = ["open_store"]


def open_store(config: StoreConfig) -> DynamoStore:
    """A store for ``config``. No I/O happens here: ``await store.initialize()`` bootstraps."""
    return DynamoStore(DynamoSettings.from_config(config), config.codec)
