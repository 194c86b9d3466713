"""Tenant identity: the composite partition key and the context every service call carries."""

from __future__ import annotations

import attrs

from aace.domain.errors import InvalidPartitionKey, ValidationError
from aace.domain.values import NOT_IN_IDS, check_text

__all__ = ["MAX_PARTITION_KEY_BYTES", "SEPARATOR", "PartitionKey", "TenantContext"]

SEPARATOR = "#"
MAX_PARTITION_KEY_BYTES = 2048


def _check_component(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidPartitionKey(name, f"must be a string, got {type(value).__name__}")
    if not value:
        raise InvalidPartitionKey(name, "must not be empty")
    if SEPARATOR in value:
        raise InvalidPartitionKey(name, f"must not contain {SEPARATOR!r}")
    if NOT_IN_IDS.search(value):
        raise InvalidPartitionKey(name, "must not contain control characters or lone surrogates")
    if value != value.strip():
        raise InvalidPartitionKey(name, "must not have leading or trailing whitespace")


@attrs.frozen(order=True)
class PartitionKey:
    """The pair (platform deployment, business tenant); text form ``"{endpoint_id}#{part_id}"``."""

    endpoint_id: str
    part_id: str

    def __attrs_post_init__(self) -> None:
        _check_component("endpoint_id", self.endpoint_id)
        _check_component("part_id", self.part_id)
        size = len(str(self).encode("utf-8"))
        if size > MAX_PARTITION_KEY_BYTES:
            raise InvalidPartitionKey(
                "partition_key",
                f"is {size} UTF-8 bytes, more than the limit of {MAX_PARTITION_KEY_BYTES}",
            )

    def __str__(self) -> str:
        return f"{self.endpoint_id}{SEPARATOR}{self.part_id}"

    @classmethod
    def parse(cls, text: str) -> PartitionKey:
        """Parse the text form; exactly one ``#`` is required."""
        if not isinstance(text, str):
            raise InvalidPartitionKey(
                "partition_key", f"must be a string, got {type(text).__name__}"
            )
        count = text.count(SEPARATOR)
        if count != 1:
            raise InvalidPartitionKey(
                "partition_key", f"must contain exactly one {SEPARATOR!r}, found {count}"
            )
        endpoint_id, part_id = text.split(SEPARATOR)
        return cls(endpoint_id, part_id)

    @classmethod
    def from_legacy(cls, endpoint_id: str) -> PartitionKey:
        """The one legacy constructor: a bare ``endpoint_id`` is the tenant ``ep#ep``."""
        return cls(endpoint_id, endpoint_id)


@attrs.frozen
class TenantContext:
    """Who acts, for which tenant. Built once at the edge and passed to every service call."""

    partition_key: PartitionKey
    updated_by: str = attrs.field(default="system")

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.updated_by, str) or not self.updated_by.strip():
            raise ValidationError("updated_by", "must be a non-empty string")
        check_text("updated_by", self.updated_by)

    @classmethod
    def from_request(
        cls, endpoint_id: str | None, part_id: str | None = None, updated_by: str = "system"
    ) -> TenantContext:
        """Apply the package's single fallback rule: a missing or empty ``part_id`` is
        ``endpoint_id``. A missing ``endpoint_id`` is refused."""
        if endpoint_id is None or endpoint_id == "":
            raise InvalidPartitionKey("endpoint_id", "is required")
        effective_part = part_id if part_id else endpoint_id
        return cls(PartitionKey(endpoint_id, effective_part), updated_by)

    @property
    def endpoint_id(self) -> str:
        return self.partition_key.endpoint_id

    @property
    def part_id(self) -> str:
        return self.partition_key.part_id

    def downstream_headers(self) -> dict[str, str]:
        """Headers an internal MCP call carries so the callee derives the same tenant."""
        return {"X-Part-ID": self.part_id}

    def downstream_payload(self) -> dict[str, str]:
        """The tenant fields a function invocation or stream message carries."""
        return {
            "partition_key": str(self.partition_key),
            "endpoint_id": self.endpoint_id,
            "part_id": self.part_id,
        }
