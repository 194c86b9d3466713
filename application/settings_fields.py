"""The checks and conversions of the fields of :class:`~aace.application.settings.Settings`:
each keeps a value as code, the environment or TOML gives it, converted, or refuses it with a
``ValidationError`` naming the setting."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args

from aace.adapters.extras import install_command
from aace.domain.errors import ValidationError
from aace.domain.secrets import parse_key

__all__ = [
    "MODES",
    "InitializeMode",
    "TelemetryMode",
    "agent_limit_check",
    "cache_ttl",
    "contention_deadline",
    "cursor_secrets",
    "initialize_check",
    "internal_mcp_headers",
    "key_provider_check",
    "optional_callable",
    "optional_text",
    "secret_keys",
    "session_iterations",
    "store_options",
    "table_names",
    "telemetry_mode",
    "text_check",
    "text_mapping",
]

InitializeMode = Literal["create", "verify", "off"]
MODES: tuple[str, ...] = get_args(InitializeMode)
TelemetryMode = Literal["on", "off", "tenant"]
TELEMETRY_WORDS = {
    **dict.fromkeys(("on", "true", "yes", "1"), "on"),
    **dict.fromkeys(("off", "false", "no", "0"), "off"),
    "tenant": "tenant",
}


def text_check(name: str) -> Callable[[Any, Any, Any], None]:
    """A validator: the field ``name`` holds text."""

    def check(_: Any, __: Any, value: Any) -> None:
        if not isinstance(value, str):
            raise ValidationError(name, f"must be text, got {type(value).__name__}")

    return check


def cursor_secrets(value: Any) -> tuple[bytes, ...]:
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


def secret_keys(value: Any) -> tuple[bytes, ...]:
    """Keys that seal secrets at rest: one or a list, each 32 random bytes as URL-safe base64
    (Fernet's format); the first seals, all open. Needs the ``secrets`` extra."""
    if value is None or value == "":
        return ()
    items = [value] if isinstance(value, str | bytes) else value
    if not isinstance(items, list | tuple):
        raise ValidationError("secret_keys", "must be a key or a list of keys")
    keys = tuple(parse_key(item, n) for n, item in enumerate(items))
    if keys:
        _require_cryptography("secret_keys")
    return keys


def _require_cryptography(name: str) -> None:
    """Refuse setting ``name`` when the ``secrets`` extra (``cryptography``) is missing: the
    envelopes are sealed with it, whichever provider gives the keys."""
    if importlib.util.find_spec("cryptography") is None:
        raise ValidationError(name, f"needs the secrets extra ({install_command('secrets')})")


def key_provider_check(_: Any, __: Any, value: Any) -> None:
    """``None``, or an object with ``sealing_key`` and ``opening_key`` (a key provider),
    with the ``secrets`` extra installed."""
    if value is not None and not all(
        callable(getattr(value, name, None)) for name in ("sealing_key", "opening_key")
    ):
        raise ValidationError("key_provider", "must have sealing_key and opening_key methods")
    if value is not None:
        _require_cryptography("key_provider")


def text_mapping(name: str) -> Callable[[Any], dict[str, str]]:
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


def optional_callable(name: str) -> Callable[[Any, Any, Any], None]:
    """A validator: the field ``name`` holds a callable or ``None``."""

    def check(_: Any, __: Any, value: Any) -> None:
        if value is not None and not callable(value):
            raise ValidationError(name, f"must be callable or None, got {type(value).__name__}")

    return check


def optional_text(name: str) -> Callable[[Any, Any, Any], None]:
    """A validator: the field ``name`` holds text or ``None``."""

    def check(_: Any, __: Any, value: Any) -> None:
        if value is not None and not isinstance(value, str):
            raise ValidationError(name, f"must be text or None, got {type(value).__name__}")

    return check


def internal_mcp_headers(value: Any) -> dict[str, str]:
    """The internal MCP server's headers: text to text."""
    return text_mapping("internal_mcp_headers")(value)


def table_names(value: Any) -> dict[str, str]:
    """Table name overrides: base name to full name."""
    return text_mapping("table_names")(value)


def store_options(value: Any) -> dict[str, str]:
    """The adapter's own options: text to text."""
    return text_mapping("store_options")(value)


def contention_deadline(value: Any) -> float:
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


def cache_ttl(value: Any) -> int:
    """Seconds a cache entry lives: a whole number ≥ 1 (text from the environment parsed)."""
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise ValidationError("cache_ttl", f"must be whole seconds, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("cache_ttl", f"must be whole seconds ≥ 1, got {value!r}")
    return value


def session_iterations(value: Any) -> int:
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


def telemetry_mode(value: Any) -> TelemetryMode:
    """``on``, ``off`` or ``tenant``; a bool (code, TOML) or on/off words (environment)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    mode = TELEMETRY_WORDS.get(value.strip().lower()) if isinstance(value, str) else None
    if mode is None:
        raise ValidationError("telemetry", f"must be on, off or tenant, got {value!r}")
    return mode  # type: ignore[return-value]


def initialize_check(_: Any, __: Any, value: Any) -> None:
    """``None`` (the adapter's default) or one of the initialize modes."""
    if value is not None and value not in MODES:
        raise ValidationError("initialize", f"must be one of {', '.join(MODES)}, got {value!r}")


def agent_limit_check(_: Any, __: Any, value: Any) -> None:
    """``None`` (no limit) or a whole number ≥ 0 of agents per tenant."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(
            "max_agents_per_tenant", f"must be a whole number ≥ 0, got {value!r}"
        )
