"""The one place where configuration picks a storage adapter, by the URL's scheme."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from aace.adapters.config import StoreConfig
from aace.domain.errors import ValidationError
from aace.domain.ports import Store

__all__ = ["ADAPTERS", "build_store"]

#: scheme -> "module:function" building a Store from a StoreConfig (imported on demand, so
#: an installation that never uses DynamoDB never imports PynamoDB).
ADAPTERS: dict[str, str] = {
    "memory": "aace.adapters.memory.factory:open_store",
    "sqlite": "aace.adapters.sql.factory:open_store",
    "postgresql": "aace.adapters.sql.factory:open_store",
    "dynamodb": "aace.adapters.dynamodb.factory:open_store",
}


def build_store(config: StoreConfig) -> Store:
    """The store for ``config.url``; an unknown scheme is refused with the known ones listed.

    Building does no I/O: call ``await store.initialize()`` to prepare the backend.
    """
    target = ADAPTERS.get(config.scheme)
    if target is None:
        known = ", ".join(f"{name}://" for name in ADAPTERS)
        raise ValidationError("storage_url", f"unknown scheme {config.scheme!r} (known: {known})")
    module_name, function_name = target.split(":")
    factory = cast(
        Callable[[StoreConfig], Store],
        getattr(importlib.import_module(module_name), function_name),
    )
    return factory(config)
