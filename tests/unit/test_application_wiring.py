"""Settings, the adapter registry, the container, the sync bridge and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from aace.adapters.config import StoreConfig
from aace.application.cli import app
from aace.application.container import open_services
from aace.application.settings import Settings
from aace.application.storage import ADAPTERS, build_store
from aace.application.sync import open_sync_services
from aace.domain.errors import ValidationError
from aace.domain.query import CursorCodec
from aace.domain.tenancy import TenantContext

SECRET = b"unit-test-secret-0123456789abcdef"


def test_an_unknown_scheme_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        build_store(StoreConfig("mongodb://x", CursorCodec(SECRET)))
    assert caught.value.field == "storage_url"
    for scheme in ADAPTERS:
        assert f"{scheme}://" in str(caught.value)


def test_settings_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "AACE_STORAGE_URL": "memory://",
            "AACE_CURSOR_SECRET": "s" * 32,
            "AACE_TABLE_PREFIX": "test-",
            "AACE_MAX_AGENTS_PER_TENANT": "7",
            "AACE_STORE_POOL_SIZE": "3",
        }
    )
    config = settings.store_config()
    assert config.url == "memory://"
    assert settings.max_agents_per_tenant == 7
    assert config.options == {"pool_size": "3"}
    assert config.table_names.agent_prefix == "test-"
    assert config.option("pool_size", "5") == "3"


def test_a_malformed_limit_setting_names_the_variable() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.from_env({"AACE_MAX_AGENTS_PER_TENANT": "lots"})
    assert caught.value.field == "AACE_MAX_AGENTS_PER_TENANT"


def test_a_short_cursor_secret_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(storage_url="memory://", cursor_secret=b"short").store_config()
    assert caught.value.field == "cursor_secret"


@pytest.mark.anyio
async def test_the_container_wires_services_on_the_configured_store() -> None:
    settings = Settings(storage_url="memory://", cursor_secret=SECRET, max_agents_per_tenant=1)
    async with await open_services(settings) as services:
        assert services.store.adapter == "memory"
        context = TenantContext.from_request("ep", "acme")
        await services.agents.create(
            context, {"agent_name": "a", "llm_provider": "p", "llm_name": "m"}
        )
        assert await services.agents.count(context) == 1


def test_the_sync_bridge_runs_the_same_services_blocking() -> None:
    settings = Settings(storage_url="memory://", cursor_secret=SECRET)
    context = TenantContext.from_request("ep", None)
    with open_sync_services(settings) as services:
        agent = services.agents.create(
            context, {"agent_name": "a", "llm_provider": "p", "llm_name": "m"}
        )
        assert services.agents.get(context, agent.agent_version_uuid) == agent
        assert str(agent.partition_key) == "ep#ep"


def test_the_cli_demo_runs_and_shows_isolation() -> None:
    result = CliRunner().invoke(app, ["demo", "--storage", "memory://"])
    assert result.exit_code == 0, result.output
    assert "NotFound" in result.output
    assert "acme-corp has 2 agents" in result.output


def test_the_cli_init_refuses_an_unknown_scheme(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", "--storage", "nosuch://x"])
    assert result.exit_code == 1
    assert "unknown scheme" in result.output
