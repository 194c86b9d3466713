"""Settings: explicit values, or :meth:`Settings.load` from arguments, ``AACE_*`` and TOML.

``Settings(...)`` takes what it is given and checks it; nothing is read from the
environment. ``Settings.load(**overrides)`` reads, from strongest to weakest: its keyword
arguments, the ``AACE_*`` environment variables, then a TOML file named by its ``config``
argument or ``AACE_CONFIG``. Every error is a ``ValidationError`` naming the setting.
"""

from __future__ import annotations

import importlib.util
import os
import tomllib
import warnings
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, get_args

import attrs

from aace.adapters.extras import install_command
from aace.domain.errors import ValidationError
from aace.domain.secrets import parse_key

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

InitializeMode = Literal["create", "verify", "off"]
_MODES: tuple[str, ...] = get_args(InitializeMode)
TelemetryMode = Literal["on", "off", "tenant"]
_TELEMETRY_WORDS = {
    **dict.fromkeys(("on", "true", "yes", "1"), "on"),
    **dict.fromkeys(("off", "false", "no", "0"), "off"),
    "tenant": "tenant",
}


class UnknownSettingWarning(UserWarning):
    """An ``AACE_*`` environment variable names no setting (a typo, or an old name)."""


def _text(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if not isinstance(value, str):
            raise ValidationError(name, f"must be text, got {type(value).__name__}")

    return check


def _secrets(value: Any) -> tuple[bytes, ...]:
    """One secret or a list of them (text or bytes); the first signs, all verify."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str | bytes) else value
    if not isinstance(items, list | tuple):
        raise ValidationError("cursor_secret", "must be text, bytes or a list of them")
    secrets: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            try:
                item = item.encode("utf-8")
            except UnicodeEncodeError:
                raise ValidationError("cursor_secret", "is not valid Unicode text") from None
        if not isinstance(item, bytes) or len(item) < 16:
            raise ValidationError("cursor_secret", "each secret must be at least 16 bytes")
        secrets.append(item)
    return tuple(secrets)


def _secret_keys(value: Any) -> tuple[bytes, ...]:
    """Keys that seal secrets at rest: one or a list, each 32 random bytes as URL-safe base64
    (Fernet's format); the first seals, all open. Needs the ``secrets`` extra."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str | bytes) else value
    if not isinstance(items, list | tuple):
        raise ValidationError("secret_keys", "must be a key or a list of keys")
    keys = tuple(parse_key(item, n) for n, item in enumerate(items))
    if keys and importlib.util.find_spec("cryptography") is None:
        raise ValidationError(
            "secret_keys", f"needs the secrets extra ({install_command('secrets')})"
        )
    return keys


def _key_provider(_: Any, __: Any, value: Any) -> None:
    if value is not None and not all(
        callable(getattr(value, name, None)) for name in ("sealing_key", "opening_key")
    ):
        raise ValidationError("key_provider", "must have sealing_key and opening_key methods")


def _text_mapping(name: str) -> Callable[[Any], dict[str, str]]:
    """A mapping of text to text; numbers and booleans (from TOML) become their text."""

    def convert(value: Any) -> dict[str, str]:
        if not isinstance(value, Mapping):
            raise ValidationError(name, f"must be a mapping, got {type(value).__name__}")
        converted = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValidationError(name, f"keys must be text, got {key!r}")
            if isinstance(item, bool):
                item = "true" if item else "false"
            elif isinstance(item, int | float):
                item = str(item)
            if not isinstance(item, str):
                raise ValidationError(f"{name}.{key}", f"must be text, got {type(item).__name__}")
            converted[key] = item
        return converted

    return convert


def _optional_callable(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if value is not None and not callable(value):
            raise ValidationError(name, f"must be callable or None, got {type(value).__name__}")

    return check


def _optional_text(name: str) -> Callable[[Any, Any, Any], None]:
    def check(_: Any, __: Any, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise ValidationError(name, f"must be text or None, got {type(value).__name__}")

    return check


def _internal_mcp_headers(value: Any) -> dict[str, str]:
    return _text_mapping("internal_mcp_headers")(value)


def _table_names(value: Any) -> dict[str, str]:
    return _text_mapping("table_names")(value)


def _store_options(value: Any) -> dict[str, str]:
    return _text_mapping("store_options")(value)


def _contention_deadline(value: Any) -> float:
    """A positive, finite number of seconds (text from the environment is parsed)."""
    name = "contention_deadline"
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValidationError(name, f"must be a number of seconds, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(name, f"must be a number of seconds, got {value!r}")
    if not 0 < value < float("inf"):
        raise ValidationError(name, f"must be a positive, finite number, got {value!r}")
    return float(value)


def _cache_ttl(value: Any) -> int:
    """Seconds a cache entry lives: a whole number ≥ 1 (text from the environment parsed)."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValidationError("cache_ttl", f"must be whole seconds, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("cache_ttl", f"must be whole seconds ≥ 1, got {value!r}")
    return value


def _iterations(value: Any) -> int:
    """A whole number ≥ 1 (text from the environment is parsed)."""
    name = "max_session_iterations"
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValidationError(name, f"must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError(name, f"must be a whole number ≥ 1, got {value!r}")
    return value


def _telemetry(value: Any) -> TelemetryMode:
    """``on``, ``off`` or ``tenant``; a bool (code, TOML) or on/off words (environment)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    mode = _TELEMETRY_WORDS.get(value.strip().lower()) if isinstance(value, str) else None
    if mode is None:
        raise ValidationError("telemetry", f"must be on, off or tenant, got {value!r}")
    return mode  # type: ignore[return-value]


def _check_mode(_: Any, __: Any, value: Any) -> None:
    if value is not None and value not in _MODES:
        raise ValidationError("initialize", f"must be one of {', '.join(_MODES)}, got {value!r}")


def _check_limit(_: Any, __: Any, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "max_agents_per_tenant", f"must be a whole number ≥ 0, got {value!r}"
        )


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

    storage_url: str = attrs.field(default=DEFAULT_STORAGE_URL, validator=_text("storage_url"))
    cursor_secret: tuple[bytes, ...] = attrs.field(default=(), converter=_secrets, repr=False)
    initialize: InitializeMode | None = attrs.field(default=None, validator=_check_mode)
    agent_table_prefix: str = attrs.field(default="aace-", validator=_text("agent_table_prefix"))
    coordination_table_prefix: str = attrs.field(
        default="ace-", validator=_text("coordination_table_prefix")
    )
    table_names: Mapping[str, str] = attrs.field(factory=dict, converter=_table_names)
    max_agents_per_tenant: int | None = attrs.field(default=None, validator=_check_limit)
    store_options: Mapping[str, str] = attrs.field(
        factory=dict, converter=_store_options, repr=False
    )
    contention_deadline: float = attrs.field(
        default=DEFAULT_CONTENTION_DEADLINE, converter=_contention_deadline
    )
    max_session_iterations: int = attrs.field(default=10, converter=_iterations)
    cache_url: str | None = attrs.field(default=None, validator=_optional_text("cache_url"))
    cache_ttl: int = attrs.field(default=300, converter=_cache_ttl)
    cache_namespace: str = attrs.field(default="aace", validator=_text("cache_namespace"))
    clock: Callable[[], datetime] | None = attrs.field(
        default=None, repr=False, validator=_optional_callable("clock")
    )
    internal_mcp_url: str | None = attrs.field(
        default=None, validator=_optional_text("internal_mcp_url")
    )
    internal_mcp_headers: Mapping[str, str] = attrs.field(
        factory=dict, converter=_internal_mcp_headers, repr=False
    )
    internal_mcp_bearer_token: str | None = attrs.field(
        default=None, validator=_optional_text("internal_mcp_bearer_token"), repr=False
    )
    telemetry: TelemetryMode = attrs.field(default="on", converter=_telemetry)
    secret_keys: tuple[bytes, ...] = attrs.field(default=(), converter=_secret_keys, repr=False)
    key_provider: Any = attrs.field(default=None, repr=False, validator=_key_provider)

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
                    merged[name] = {**_text_mapping(name)(merged[name]), **value}
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
