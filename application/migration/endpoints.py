"""Where a job reads and writes: ``--from`` and ``--to`` as storage URLs or settings files.

A settings file (TOML, as for ``--config``) lets an operator map table names one by one:
the legacy tables keep their deployed names, and the new layout's re-keyed tables need new
ones (a re-keyed table can never be its own target). ``AACE_*`` variables are not read
here: the source and the target would both take them.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import attrs

from aace.adapters.config import scheme_of
from aace.application.container import open_store
from aace.application.settings import Settings
from aace.application.storage import redacted, store_config, table_names_of
from aace.domain.errors import ValidationError
from aace.domain.legacy_source import LegacySource, TableAddress
from aace.domain.ports import Store
from aace.domain.schema import EntitySchema

__all__ = [
    "endpoint_settings",
    "legacy_source",
    "open_target",
    "table_address",
    "target_store",
]


def endpoint_settings(value: str, field: str) -> Settings:
    """The settings ``--from``/``--to`` name: a settings file when ``value`` is one (a
    ``.toml`` path), else a storage URL."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a storage URL or a settings file")
    if value.endswith(".toml") or Path(value).is_file():
        if not Path(value).is_file():
            raise ValidationError(field, f"settings file {value} does not exist")
        settings = Settings.load(config=value, environ={})
    else:
        settings = Settings.load(environ={}, storage_url=value)
    if not settings.cursor_secret:  # a job hands no cursor to another process
        settings = attrs.evolve(settings, cursor_secret=(secrets.token_bytes(32),))
    return settings


def table_address(settings: Settings, schema: EntitySchema[Any]) -> TableAddress:
    """Where the store ``settings`` name keeps ``schema``'s table. A legacy table at the
    same address is migrated in place. On DynamoDB: the endpoint, region, access key and
    table name; elsewhere the storage URL (without its password) and the table's name, so
    no other store meets a DynamoDB table (a ``memory://`` address names no one store: only
    a memory legacy source placed there on purpose shares it)."""
    if scheme_of(settings.storage_url) == "dynamodb":
        from aace.adapters.dynamodb.legacy import table_address as dynamo_address
        from aace.adapters.dynamodb.settings import DynamoSettings

        return dynamo_address(DynamoSettings.from_config(store_config(settings)), schema)
    where = (scheme_of(settings.storage_url), redacted(settings.storage_url))
    return TableAddress(where, table_names_of(settings)(schema))


@asynccontextmanager
async def legacy_source(
    source: Settings | LegacySource, field: str = "from"
) -> AsyncIterator[LegacySource]:
    """The legacy tables ``source`` names (only DynamoDB holds the deployed legacy layout),
    closed on exit; or ``source`` itself when it is an open source, which its opener closes
    (as tests give a memory one)."""
    if not isinstance(source, Settings):
        yield source
        return
    if scheme_of(source.storage_url) != "dynamodb":
        raise ValidationError(
            field, "the legacy layout is read from DynamoDB: give a dynamodb:// URL or settings"
        )
    from aace.adapters.dynamodb.legacy import DynamoLegacySource
    from aace.adapters.dynamodb.settings import DynamoSettings

    settings = DynamoSettings.from_config(store_config(source))
    opened = DynamoLegacySource(settings, redacted(source.storage_url))
    try:
        yield opened
    finally:
        await opened.close()


@asynccontextmanager
async def target_store(
    settings: Settings, store: Store | None, *, create: bool
) -> AsyncIterator[Store]:
    """``store`` when the caller gives an open one (it closes it), else the store
    ``settings`` name, opened (``create``: its missing tables made) and closed on exit."""
    if store is not None:
        yield store
        return
    opened = await open_target(settings, create=create)
    try:
        yield opened
    finally:
        await opened.close()


async def open_target(settings: Settings, *, create: bool) -> Store:
    """The target store; ``create``: its missing tables are created (a dry run creates
    nothing, and only checks that the store answers)."""
    return await open_store(attrs.evolve(settings, initialize="create" if create else "off"))
