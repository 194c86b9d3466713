"""Settings, read once from the environment (``AACE_*``) or given explicitly."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping

import attrs

from aace.adapters.config import StoreConfig
from aace.domain.errors import ValidationError
from aace.domain.query import CursorCodec
from aace.domain.schema import TableNames

__all__ = ["DEFAULT_STORAGE_URL", "Settings"]

#: Embedded SQLite in the working directory: what a person trying the package gets.
DEFAULT_STORAGE_URL = "sqlite:///aace.db"


def _optional_int(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError as exc:
        raise ValidationError(name, f"must be an integer, got {value!r}") from exc
    if number < 0:
        raise ValidationError(name, "must not be negative")
    return number


@attrs.frozen
class Settings:
    """Everything configurable.

    ``cursor_secret`` signs pagination cursors; set it (``AACE_CURSOR_SECRET``, 16+ bytes)
    wherever cursors cross processes. Left unset, each process draws a random one, so its
    cursors are valid only in that process.
    """

    storage_url: str = DEFAULT_STORAGE_URL
    cursor_secret: bytes = attrs.field(factory=lambda: secrets.token_bytes(32), repr=False)
    agent_table_prefix: str = "aace-"
    coordination_table_prefix: str = "ace-"
    table_names: Mapping[str, str] = attrs.field(factory=dict)
    max_agents_per_tenant: int | None = None
    store_options: Mapping[str, str] = attrs.field(factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read ``AACE_STORAGE_URL``, ``AACE_CURSOR_SECRET``, ``AACE_TABLE_PREFIX``,
        ``AACE_COORDINATION_TABLE_PREFIX``, ``AACE_MAX_AGENTS_PER_TENANT`` and every
        ``AACE_STORE_<OPTION>`` (adapter options such as ``AACE_STORE_POOL_SIZE``)."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("AACE_STORAGE_URL"):
            values["storage_url"] = env["AACE_STORAGE_URL"]
        if env.get("AACE_CURSOR_SECRET"):
            values["cursor_secret"] = env["AACE_CURSOR_SECRET"].encode("utf-8")
        if "AACE_TABLE_PREFIX" in env:
            values["agent_table_prefix"] = env["AACE_TABLE_PREFIX"]
        if "AACE_COORDINATION_TABLE_PREFIX" in env:
            values["coordination_table_prefix"] = env["AACE_COORDINATION_TABLE_PREFIX"]
        values["max_agents_per_tenant"] = _optional_int(
            "AACE_MAX_AGENTS_PER_TENANT", env.get("AACE_MAX_AGENTS_PER_TENANT")
        )
        values["store_options"] = {
            name.removeprefix("AACE_STORE_").lower(): value
            for name, value in env.items()
            if name.startswith("AACE_STORE_")
        }
        return cls(**values)  # type: ignore[arg-type]

    def store_config(self) -> StoreConfig:
        """The adapter-facing configuration."""
        return StoreConfig(
            url=self.storage_url,
            codec=CursorCodec(self.cursor_secret),
            table_names=TableNames(
                agent_prefix=self.agent_table_prefix,
                coordination_prefix=self.coordination_table_prefix,
                overrides=dict(self.table_names),
            ),
            options=dict(self.store_options),
        )
