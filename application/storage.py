"""The one place where configuration picks a storage adapter, by the URL's scheme."""

from __future__ import annotations

import contextlib
import importlib
import secrets
from collections.abc import Callable
from typing import cast
from urllib.parse import urlsplit, urlunsplit

import attrs

from aace.adapters.config import StoreConfig, scheme_of
from aace.adapters.extras import requires_extra
from aace.application.settings import InitializeMode, Settings
from aace.domain.errors import ValidationError
from aace.domain.ports import Store
from aace.domain.query import CursorCodec
from aace.domain.schema import TableNames

__all__ = [
    "ADAPTERS",
    "AdapterEntry",
    "adapter_for",
    "build_store",
    "redacted",
    "store_config",
    "table_names_of",
]


@attrs.frozen
class AdapterEntry:
    """How to build one adapter, and its defaults.

    ``factory`` is ``"module:function"``, imported on demand (an installation that never
    uses DynamoDB never imports PynamoDB). ``initialize`` is what ``Settings.initialize=None``
    means for it. ``in_process`` adapters keep their data in this process or on this machine,
    so a cursor secret drawn per process is acceptable; server adapters need a configured one.
    ``extra`` is the extra of aace-core that installs its drivers (``None``: the core's).
    """

    factory: str
    initialize: InitializeMode
    in_process: bool
    extra: str | None = None


ADAPTERS: dict[str, AdapterEntry] = {
    "memory": AdapterEntry("aace.adapters.memory.factory:open_store", "create", True),
    "sqlite": AdapterEntry("aace.adapters.sql.factory:open_store", "create", True, "sqlite"),
    "postgresql": AdapterEntry("aace.adapters.sql.factory:open_store", "off", False, "postgres"),
    "dynamodb": AdapterEntry(
        "aace.adapters.dynamodb.factory:open_store", "off", False, "dynamodb"
    ),
}


def adapter_for(url: str) -> AdapterEntry:
    """The adapter a storage URL names; an unknown scheme lists the known ones."""
    scheme = scheme_of(url)
    entry = ADAPTERS.get(scheme)
    if entry is None:
        known = ", ".join(f"{name}://" for name in ADAPTERS)
        raise ValidationError("storage_url", f"unknown scheme {scheme!r} (known: {known})")
    return entry


def _codec(settings: Settings, entry: AdapterEntry) -> CursorCodec:
    if settings.cursor_secret:
        first, *previous = settings.cursor_secret
        return CursorCodec(first, previous)
    if entry.in_process:
        return CursorCodec(secrets.token_bytes(32))
    raise ValidationError(
        "cursor_secret",
        "must be set for a server store: a secret drawn per process would make cursors "
        "fail in every other process or function invocation",
        hint="set AACE_CURSOR_SECRET (16 bytes or more) or Settings(cursor_secret=…)",
    )


def store_config(settings: Settings) -> StoreConfig:
    """The adapter-facing configuration of ``settings`` (its cursor secret resolved)."""
    entry = adapter_for(settings.storage_url)
    return StoreConfig(
        url=settings.storage_url,
        codec=_codec(settings, entry),
        table_names=table_names_of(settings),
        options=dict(settings.store_options),
    )


def table_names_of(settings: Settings) -> TableNames:
    """How ``settings`` names the tables (prefixes per engine, overrides per table)."""
    return TableNames(
        agent_prefix=settings.agent_table_prefix,
        coordination_prefix=settings.coordination_table_prefix,
        overrides=dict(settings.table_names),
    )


def build_store(config: StoreConfig) -> Store:
    """The store for ``config.url``. Building does no I/O; it imports the adapter and its
    driver, so a driver that is not installed is ``StorageMisconfigured`` naming the extra."""
    entry = adapter_for(config.url)
    module_name, function_name = entry.factory.split(":")
    what = f"a {scheme_of(config.url)}:// store"
    with requires_extra(entry.extra, what) if entry.extra else contextlib.nullcontext():
        factory = cast(
            Callable[[StoreConfig], Store],
            getattr(importlib.import_module(module_name), function_name),
        )
        return factory(config)


def redacted(url: str) -> str:
    """``url`` without its password, for messages and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
