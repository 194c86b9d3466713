"""Settings: explicit values, or :meth:`Settings.load` from arguments, ``AACE_*`` and TOML.

``Settings(...)`` takes what it is given and checks it; nothing is read from the
environment. ``Settings.load(**overrides)`` reads, from strongest to weakest: its keyword
arguments, the ``AACE_*`` environment variables, then a TOML file named by its ``config``
argument or ``AACE_CONFIG``. Every error is a ``ValidationError`` naming the setting.
"""

from __future__ import annotations

import os
import tomllib
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from aace.application import settings_fields as fields
from aace.application.settings_fields import InitializeMode, TelemetryMode
from aace.domain.errors import ValidationError

#: Seconds a contended write keeps retrying before it gives up with ``ConditionFailed``.
DEFAULT_CONTENTION_DEADLINE = 10.0

__all__ = [
    "DEFAULT_STORAGE_URL",
    "ENVIRONMENT_PREFIX",
    "InitializeMode",
    "Settings",
    "TelemetryMode",
    "UnknownSettingWarning",
]

#: Embedded SQLite in the working directory: what a person trying the package gets.
DEFAULT_STORAGE_URL = "sqlite:///aace.db"
ENVIRONMENT_PREFIX = "AACE_"
#: Variables the project's own test suite reads; never settings, never warned about.
_TEST_PREFIX = "AACE_TEST_"


class UnknownSettingWarning(UserWarning):
    """An ``AACE_*`` environment variable names no setting (a typo, or an old name)."""


@attrs.frozen
class Settings:
    """Everything an embedder configures.

    - ``storage_url`` picks the adapter (``memory://``, ``sqlite:///path.db``,
      ``postgresql+asyncpg://user@host/db``, ``dynamodb://host:port?region=…``).
    - ``cursor_secret`` signs pagination cursors: one secret, or a list whose first entry
      signs and whose every entry verifies (rotation). PostgreSQL and DynamoDB require it
      (cursors cross processes there); memory and embedded SQLite draw one per process.
    - ``initialize``: ``create`` (migrate, create missing tables), ``verify`` (check, create
      nothing), ``off`` (no schema I/O), or ``None`` for the adapter's default (memory and
      SQLite create; PostgreSQL and DynamoDB are off: ``aace init`` prepares them).
    - ``contention_deadline``: seconds a write that keeps losing races to concurrent writers
      (a new version of a busy agent) retries, with jittered backoff, before it gives up with
      ``ConditionFailed``.
    - ``cache_url``: the read cache, ``memory://`` (one process) or ``redis://host:port/db``
      (shared by every process); ``None`` (the default) is no cache. ``cache_ttl``: seconds
      an entry lives (default 300); writes make entries stale at once, whatever the TTL.
      ``cache_namespace`` prefixes every key: stores sharing one Redis database need one each.
    - ``clock``: what "now" is for usage periods (a callable returning an aware UTC
      datetime; ``None``: the system clock). For tests and replays; not read from the
      environment.
    - ``max_session_iterations``: iterations a session may take before
      ``sessions.next_iteration`` fails it (default 10, as on the platform).
    - ``internal_mcp_url``, ``internal_mcp_headers``, ``internal_mcp_bearer_token``: the
      platform's internal MCP server, as ``mcp_servers.internal_mcp(ctx)`` gives it to a
      tenant (``{endpoint_id}`` in the URL is the tenant's; ``None``: there is none).
      Environment: ``AACE_INTERNAL_MCP_URL``, ``AACE_INTERNAL_MCP_HEADER_<NAME>``,
      ``AACE_INTERNAL_MCP_BEARER_TOKEN``.
    - ``telemetry``: OpenTelemetry spans and metrics, on (the default) whenever
      ``opentelemetry-api`` is installed and a tracer or meter provider is set when the store
      opens; ``off`` (or ``False``) never; ``tenant`` also records the tenant of each call
      (``aace.tenant``). ``AACE_TELEMETRY=off``.
    - ``secret_keys``: keys that seal secret attributes (MCP servers' ``headers``) at rest,
      each 32 random bytes as URL-safe base64 (Fernet's format); the first seals, every one
      opens (rotation). ``AACE_SECRET_KEYS`` is comma-separated. Empty: stored as given.
      Needs the ``secrets`` extra. ``key_provider`` (code only): a
      :class:`~aace.domain.secrets.KeyProvider` instead (a KMS).
    """

    storage_url: str = attrs.field(
        default=DEFAULT_STORAGE_URL, validator=fields.text_check("storage_url")
    )
    cursor_secret: tuple[bytes, ...] = attrs.field(
        default=(), converter=fields.cursor_secrets, repr=False
    )
    initialize: InitializeMode | None = attrs.field(
        default=None, validator=fields.initialize_check
    )
    agent_table_prefix: str = attrs.field(
        default="aace-", validator=fields.text_check("agent_table_prefix")
    )
    coordination_table_prefix: str = attrs.field(
        default="ace-", validator=fields.text_check("coordination_table_prefix")
    )
    table_names: Mapping[str, str] = attrs.field(factory=dict, converter=fields.table_names)
    max_agents_per_tenant: int | None = attrs.field(
        default=None, validator=fields.agent_limit_check
    )
    store_options: Mapping[str, str] = attrs.field(
        factory=dict, converter=fields.store_options, repr=False
    )
    contention_deadline: float = attrs.field(
        default=DEFAULT_CONTENTION_DEADLINE, converter=fields.contention_deadline
    )
    max_session_iterations: int = attrs.field(default=10, converter=fields.session_iterations)
    cache_url: str | None = attrs.field(default=None, validator=fields.optional_text("cache_url"))
    cache_ttl: int = attrs.field(default=300, converter=fields.cache_ttl)
    cache_namespace: str = attrs.field(
        default="aace", validator=fields.text_check("cache_namespace")
    )
    clock: Callable[[], datetime] | None = attrs.field(
        default=None, repr=False, validator=fields.optional_callable("clock")
    )
    internal_mcp_url: str | None = attrs.field(
        default=None, validator=fields.optional_text("internal_mcp_url")
    )
    internal_mcp_headers: Mapping[str, str] = attrs.field(
        factory=dict, converter=fields.internal_mcp_headers, repr=False
    )
    internal_mcp_bearer_token: str | None = attrs.field(
        default=None, validator=fields.optional_text("internal_mcp_bearer_token"), repr=False
    )
    telemetry: TelemetryMode = attrs.field(default="on", converter=fields.telemetry_mode)
    secret_keys: tuple[bytes, ...] = attrs.field(
        default=(), converter=fields.secret_keys, repr=False
    )
    key_provider: Any = attrs.field(default=None, repr=False, validator=fields.key_provider_check)

    def __attrs_post_init__(self) -> None:
        if self.secret_keys and self.key_provider is not None:
            raise ValidationError("key_provider", "give secret_keys or key_provider, not both")

    @classmethod
    def load(
        cls,
        *,
        config: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> Settings:
        """Settings from ``overrides``, then ``AACE_*`` variables, then a TOML file.

        The file is ``config`` or, when that is ``None``, ``AACE_CONFIG``. Mappings
        (``store_options``, ``table_names``) merge entry by entry, the stronger source
        winning. An unknown ``AACE_*`` variable is an :class:`UnknownSettingWarning`;
        an unknown key in the file or in ``overrides`` is a ``ValidationError``.
        """
        env = os.environ if environ is None else environ
        path = config if config is not None else env.get("AACE_CONFIG") or None
        layers = [_from_file(Path(path)) if path else {}, _from_environment(env)]
        layers.append(_known(overrides, "argument"))
        merged: dict[str, Any] = {}
        for layer in layers:
            for name, value in layer.items():
                if name in _MAPPINGS and name in merged:
                    merged[name] = {**fields.text_mapping(name)(merged[name]), **value}
                else:
                    merged[name] = value
        return cls(**merged)


_FIELDS = frozenset(field.name for field in attrs.fields(Settings))
#: Settings only code can give (a callable): never from the environment or a file.
_CODE_ONLY = frozenset({"clock", "key_provider"})
_MAPPINGS = {
    "store_options": "AACE_STORE_",
    "table_names": "AACE_TABLE_NAME_",
    "internal_mcp_headers": "AACE_INTERNAL_MCP_HEADER_",
}


def _known(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    for name in values:
        if name not in _FIELDS:
            known = ", ".join(sorted(_FIELDS))
            raise ValidationError(name, f"is not a setting ({source}; known: {known})")
    return dict(values)


def _from_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            return _known(tomllib.load(file), f"in {path}")
    except OSError as exc:
        raise ValidationError("config", f"cannot read {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValidationError("config", f"{path} is not valid TOML: {exc}") from None


def _whole_number(variable: str, text: str) -> int | None:
    if text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationError(
            "max_agents_per_tenant", f"must be a whole number, got {text!r} (from {variable})"
        ) from None


def _from_environment(env: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for variable, text in env.items():
        if not variable.startswith(ENVIRONMENT_PREFIX) or variable.startswith(_TEST_PREFIX):
            continue
        name = variable.removeprefix(ENVIRONMENT_PREFIX).lower()
        mapping = next((m for m, prefix in _MAPPINGS.items() if variable.startswith(prefix)), None)
        if mapping is not None:
            key = variable.removeprefix(_MAPPINGS[mapping]).lower()
            values.setdefault(mapping, {})[key] = text
        elif name == "config":
            continue
        elif name in ("cursor_secret", "secret_keys"):
            values[name] = [part for part in text.split(",") if part]
        elif name == "max_agents_per_tenant":
            values[name] = _whole_number(variable, text)
        elif name == "initialize":
            values[name] = text or None
        elif name in _FIELDS and name not in _MAPPINGS and name not in _CODE_ONLY:
            values[name] = text
        else:
            warnings.warn(
                f"{variable} names no aace setting; known variables: {_known_variables()}",
                UnknownSettingWarning,
                stacklevel=3,
            )
    return values


def _known_variables() -> str:
    names = _FIELDS - set(_MAPPINGS) - _CODE_ONLY
    scalars = sorted(f"{ENVIRONMENT_PREFIX}{name.upper()}" for name in names)
    prefixes = [f"{prefix}<NAME>" for prefix in _MAPPINGS.values()]
    return ", ".join([*scalars, *prefixes, "AACE_CONFIG"])
