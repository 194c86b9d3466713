"""The adapter's settings, read from a :class:`StoreConfig` (URL query first, then options)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs

from aace.adapters.config import StoreConfig
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema, TableNames

__all__ = ["DynamoSettings"]


def _positive_int(config: StoreConfig, name: str, default: int) -> int:
    text = config.option(name, str(default))
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(name, f"must be an integer, got {text!r}") from None
    if value < 1:
        raise ValidationError(name, f"must be at least 1, got {value}")
    return value


def _positive_float(config: StoreConfig, name: str, default: float) -> float:
    text = config.option(name, str(default))
    try:
        value = float(text)
    except ValueError:
        raise ValidationError(name, f"must be a number, got {text!r}") from None
    if not value > 0:
        raise ValidationError(name, f"must be positive, got {value}")
    return value


def _endpoint(url: str, tls: bool) -> str | None:
    parts = urlsplit(url)
    if not parts.netloc:
        return None  # the default AWS endpoint of the region
    return f"{'https' if tls else 'http'}://{parts.netloc}"


@attrs.frozen
class DynamoSettings:
    """Where the tables live and how the adapter talks to them."""

    endpoint_url: str | None
    region: str
    table_names: TableNames
    table_prefix: str = ""
    workers: int = 16
    retry_attempts: int = 10
    retry_base_delay: float = 0.025
    retry_max_delay: float = 1.0
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    aws_access_key_id: str | None = attrs.field(default=None, repr=False)
    aws_secret_access_key: str | None = attrs.field(default=None, repr=False)
    aws_session_token: str | None = attrs.field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: StoreConfig) -> DynamoSettings:
        """Parse ``dynamodb://host:port?region=…&table_prefix=…&workers=…``."""
        if config.scheme != "dynamodb":
            raise ValidationError("storage_url", f"not a dynamodb:// URL: {config.scheme!r}")
        tls = config.option("tls", "false").lower() in {"1", "true", "yes"}
        return cls(
            endpoint_url=_endpoint(config.url, tls),
            region=config.option("region", "us-east-1"),
            table_names=config.table_names,
            table_prefix=config.option("table_prefix", ""),
            workers=_positive_int(config, "workers", 16),
            retry_attempts=_positive_int(config, "retry_attempts", 10),
            retry_base_delay=_positive_float(config, "retry_base_delay", 0.025),
            retry_max_delay=_positive_float(config, "retry_max_delay", 1.0),
            connect_timeout=_positive_float(config, "connect_timeout", 5.0),
            read_timeout=_positive_float(config, "read_timeout", 10.0),
            aws_access_key_id=config.options.get("aws_access_key_id"),
            aws_secret_access_key=config.options.get("aws_secret_access_key"),
            aws_session_token=config.options.get("aws_session_token"),
        )

    def table_name(self, schema: EntitySchema[Any]) -> str:
        """The full table name: ``table_prefix`` + the configured layout name."""
        return f"{self.table_prefix}{self.table_names(schema)}"
