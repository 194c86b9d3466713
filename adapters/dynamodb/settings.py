"""The adapter's settings, read from a :class:`StoreConfig` (URL query first, then options)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import attrs

from aace.adapters.config import StoreConfig
from aace.domain.errors import ValidationError
from aace.domain.schema import EntitySchema, TableNames

__all__ = ["BILLING_MODES", "STREAM_VIEWS", "DynamoSettings", "TableOptions"]

#: The billing modes a created table may use.
BILLING_MODES = ("PAY_PER_REQUEST", "PROVISIONED")
#: The stream view types a created table may use (``off`` means no stream).
STREAM_VIEWS = ("NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY")
_TRUE, _FALSE = {"true", "1", "yes", "on"}, {"false", "0", "no", "off"}


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


def _flag(config: StoreConfig, name: str) -> bool:
    text = config.option(name, "false")
    if text.strip().lower() in _TRUE:
        return True
    if text.strip().lower() in _FALSE:
        return False
    raise ValidationError(name, f"must be true or false, got {text!r}")


def _choice(config: StoreConfig, name: str, default: str, choices: tuple[str, ...]) -> str:
    text = config.option(name, default)
    value = text.strip().upper()
    if value not in choices:
        raise ValidationError(name, f"must be one of {', '.join(choices)}, got {text!r}")
    return value


def _capacity(config: StoreConfig, name: str, billing_mode: str) -> int | None:
    given = config.option(name, "")
    if billing_mode != "PROVISIONED":
        if given:
            raise ValidationError(name, "applies only with billing_mode=PROVISIONED")
        return None
    if not given:
        raise ValidationError(name, "is required with billing_mode=PROVISIONED")
    return _positive_int(config, name, 0)


@attrs.frozen
class TableOptions:
    """How ``initialize`` creates a missing table (production settings).

    ``billing_mode`` and ``stream`` apply only when a table is created; point-in-time
    recovery and deletion protection are also turned on for existing tables when asked.
    """

    billing_mode: str = "PAY_PER_REQUEST"
    read_capacity: int | None = None
    write_capacity: int | None = None
    point_in_time_recovery: bool = False
    deletion_protection: bool = False
    #: The stream view type, or ``None`` for no stream.
    stream: str | None = None

    @classmethod
    def from_config(cls, config: StoreConfig) -> TableOptions:
        """Read ``billing_mode``, ``read_capacity``, ``write_capacity``,
        ``point_in_time_recovery``, ``deletion_protection`` and ``stream``."""
        billing_mode = _choice(config, "billing_mode", "PAY_PER_REQUEST", BILLING_MODES)
        stream = _choice(config, "stream", "OFF", ("OFF", *STREAM_VIEWS))
        return cls(
            billing_mode=billing_mode,
            read_capacity=_capacity(config, "read_capacity", billing_mode),
            write_capacity=_capacity(config, "write_capacity", billing_mode),
            point_in_time_recovery=_flag(config, "point_in_time_recovery"),
            deletion_protection=_flag(config, "deletion_protection"),
            stream=None if stream == "OFF" else stream,
        )

    @property
    def throughput(self) -> dict[str, int] | None:
        """``ProvisionedThroughput`` for the table and each global index, if provisioned."""
        if self.read_capacity is None or self.write_capacity is None:
            return None
        return {"ReadCapacityUnits": self.read_capacity, "WriteCapacityUnits": self.write_capacity}


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
    table_options: TableOptions = attrs.field(factory=TableOptions)

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
            table_options=TableOptions.from_config(config),
        )

    def table_name(self, schema: EntitySchema[Any]) -> str:
        """The full table name: ``table_prefix`` + the configured layout name."""
        return f"{self.table_prefix}{self.table_names(schema)}"

    @property
    def endpoint(self) -> str:
        """The URL requests go to (the region's AWS endpoint when none is configured)."""
        return self.endpoint_url or f"https://dynamodb.{self.region}.amazonaws.com"

    @property
    def address(self) -> str:
        """``host:port`` of :attr:`endpoint`."""
        parts = urlsplit(self.endpoint)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"{parts.hostname}:{port}"

    @property
    def secrets(self) -> tuple[str, ...]:
        """The configured secret values, which no message may contain."""
        return tuple(s for s in (self.aws_secret_access_key, self.aws_session_token) if s)
