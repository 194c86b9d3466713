"""Secrets at rest: services over each adapter's session store, with keys."""

from __future__ import annotations

import base64
import os
import uuid
from types import SimpleNamespace

import attrs
import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext

pytestmark = pytest.mark.anyio


def new_key() -> str:
    """A key as ``secret_keys`` takes it: 32 random bytes, URL-safe base64."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def services(store: Store, *keys: str) -> SimpleNamespace:
    """Every service over ``store``, sealing with ``keys`` (none: stored as given)."""
    return SimpleNamespace(**wire_services(Settings(secret_keys=list(keys)), store))


@attrs.frozen
class Token:
    """A credential unique to one test (hex, so no encoding can hide it)."""

    value: str = attrs.field(factory=lambda: uuid.uuid4().hex + uuid.uuid4().hex)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.value}"}

    def in_bytes(self, data: bytes) -> bool:
        return self.value.encode() in data

    def in_text(self, lines: list[str]) -> bool:
        return any(self.value in line for line in lines)


@pytest.fixture
def context(tenant: PartitionKey) -> TenantContext:
    return TenantContext(tenant, updated_by="alice")


def server_input(token: Token, label: str = "tools") -> dict[str, object]:
    return {
        "mcp_label": label,
        "mcp_server_url": "https://mcp.example/x",
        "headers": token.headers,
    }
