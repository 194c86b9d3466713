"""Services end to end, on every adapter's real backend."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from aace.application.container import wire_services
from aace.application.services import AgentService
from aace.application.settings import Settings
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext


@pytest.fixture
def context(tenant: PartitionKey) -> TenantContext:
    return TenantContext(tenant, updated_by="alice")


@pytest.fixture
def other_context(other_tenant: PartitionKey) -> TenantContext:
    return TenantContext(other_tenant, updated_by="bob")


@pytest.fixture
def agents(store: Store) -> AgentService:
    return AgentService(store, Settings(max_agents_per_tenant=5))


@pytest.fixture
def app(store: Store) -> SimpleNamespace:
    """Every service over the adapter's store, as ``Aace`` has them (``app.runs``, …)."""
    return SimpleNamespace(**wire_services(Settings(), store))
