"""Where a job reads and writes: ``--from`` and ``--to`` as storage URLs or settings files.

A settings file (TOML, as for ``--config``) lets an operator map table names one by one:
the legacy tables keep their deployed names, and the new layout's re-keyed tables need new
ones (a re-keyed table can never be its own target). ``AACE_*`` variables are not read
here: the source and the target would both take them.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import attrs

from aace.adapters.config import scheme_of
from aace.application.container import open_store
from aace.application.settings import Settings
from aace.application.storage import store_config
from aace.domain.errors import ValidationError
from aace.domain.ports import Store

__all__ = ["dynamo_settings", "endpoint_settings", "open_legacy", "open_target"]


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


def dynamo_settings(settings: Settings) -> Any:
    """The DynamoDB adapter's settings of a ``dynamodb://`` store (else ``None``)."""
    if scheme_of(settings.storage_url) != "dynamodb":
        return None
    from aace.adapters.dynamodb.settings import DynamoSettings

    return DynamoSettings.from_config(store_config(settings))


def open_legacy(settings: Settings, field: str = "from") -> Any:
    """The legacy tables of a DynamoDB source (only DynamoDB holds the legacy layout)."""
    found = dynamo_settings(settings)
    if found is None:
        raise ValidationError(
            field, "the legacy layout is read from DynamoDB: give a dynamodb:// URL or settings"
        )
    from aace.adapters.dynamodb.legacy import LegacySource

    return LegacySource(found)


async def open_target(settings: Settings, *, create: bool) -> Store:
    """The target store; ``create``: its missing tables are created (a dry run creates
    nothing, and only checks that the store answers)."""
    return await open_store(attrs.evolve(settings, initialize="create" if create else "off"))
