"""Settings: explicit values checked by name; load's precedence, TOML, the environment."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest

from aace import Settings, UnknownSettingWarning, ValidationError
from aace.application.storage import ADAPTERS, store_config

SECRET = "unit-test-secret-0123456789abcdef"
OLD_SECRET = "an-older-secret-0123456789abcdef"


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aace.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_explicit_settings_read_nothing_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AACE_STORAGE_URL", "memory://")
    assert Settings().storage_url == "sqlite:///aace.db"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"storage_url": 5}, "storage_url"),
        ({"initialize": "sometimes"}, "initialize"),
        ({"max_agents_per_tenant": -1}, "max_agents_per_tenant"),
        ({"max_agents_per_tenant": True}, "max_agents_per_tenant"),
        ({"max_agents_per_tenant": "7"}, "max_agents_per_tenant"),
        ({"cursor_secret": "short"}, "cursor_secret"),
        ({"cursor_secret": [SECRET, b"short"]}, "cursor_secret"),
        ({"cursor_secret": 12345678901234567890}, "cursor_secret"),
        ({"cursor_secret": "\ud800" * 20}, "cursor_secret"),
        ({"agent_table_prefix": None}, "agent_table_prefix"),
        ({"table_names": ["agents"]}, "table_names"),
        ({"store_options": {"pool_size": None}}, "store_options.pool_size"),
        ({"contention_deadline": 0}, "contention_deadline"),
        ({"contention_deadline": "soon"}, "contention_deadline"),
        ({"contention_deadline": float("inf")}, "contention_deadline"),
        ({"contention_deadline": True}, "contention_deadline"),
    ],
)
def test_a_bad_explicit_value_is_a_validation_error_naming_the_setting(
    values: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**values)
    assert caught.value.field == field


def test_keyword_arguments_beat_the_environment_which_beats_the_file(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        'storage_url = "sqlite:///from-file.db"\n'
        'agent_table_prefix = "file-"\n'
        "max_agents_per_tenant = 3\n"
        "[store_options]\npool_size = 4\nworkers = 2\n",
    )
    environ = {
        "AACE_CONFIG": str(path),
        "AACE_AGENT_TABLE_PREFIX": "env-",
        "AACE_MAX_AGENTS_PER_TENANT": "5",
        "AACE_STORE_WORKERS": "8",
    }
    settings = Settings.load(environ=environ, max_agents_per_tenant=9)
    assert settings.storage_url == "sqlite:///from-file.db"  # the file alone set it
    assert settings.agent_table_prefix == "env-"  # the environment beats the file
    assert settings.max_agents_per_tenant == 9  # the argument beats both
    assert settings.store_options == {"pool_size": "4", "workers": "8"}  # merged per entry


def test_the_config_argument_beats_aace_config(tmp_path: Path) -> None:
    chosen = toml(tmp_path, 'storage_url = "memory://"\n')
    settings = Settings.load(config=chosen, environ={"AACE_CONFIG": "/does/not/exist.toml"})
    assert settings.storage_url == "memory://"


def test_every_setting_can_come_from_a_toml_file(tmp_path: Path) -> None:
    path = toml(
        tmp_path,
        f"""
storage_url = "postgresql+asyncpg://app@db.internal:5432/agents"
cursor_secret = ["{SECRET}", "{OLD_SECRET}"]
initialize = "verify"
agent_table_prefix = "prod-aace-"
coordination_table_prefix = "prod-ace-"
max_agents_per_tenant = 100
contention_deadline = 2.5
[table_names]
agents = "agents-v2"
[store_options]
pool_size = 10
tls = true
""",
    )
    settings = Settings.load(config=path, environ={})
    assert settings.cursor_secret == (SECRET.encode(), OLD_SECRET.encode())
    assert settings.initialize == "verify"
    assert settings.contention_deadline == 2.5
    assert settings.table_names == {"agents": "agents-v2"}
    assert settings.store_options == {"pool_size": "10", "tls": "true"}
    assert store_config(settings).table_names.overrides == {"agents": "agents-v2"}


def test_the_environment_gives_every_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {
        "AACE_STORAGE_URL": "memory://",
        "AACE_CURSOR_SECRET": f"{SECRET},{OLD_SECRET}",
        "AACE_INITIALIZE": "off",
        "AACE_AGENT_TABLE_PREFIX": "a-",
        "AACE_COORDINATION_TABLE_PREFIX": "c-",
        "AACE_MAX_AGENTS_PER_TENANT": "7",
        "AACE_TABLE_NAME_AGENTS": "my-agents",
        "AACE_STORE_POOL_SIZE": "3",
        "AACE_CONTENTION_DEADLINE": "0.5",
    }
    settings = Settings.load(environ=environ)
    assert settings == Settings(
        storage_url="memory://",
        cursor_secret=[SECRET, OLD_SECRET],
        initialize="off",
        agent_table_prefix="a-",
        coordination_table_prefix="c-",
        max_agents_per_tenant=7,
        table_names={"agents": "my-agents"},
        store_options={"pool_size": "3"},
        contention_deadline=0.5,
    )


def test_load_reads_the_process_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AACE_STORAGE_URL", "memory://")
    assert Settings.load().storage_url == "memory://"


def test_an_unknown_aace_variable_is_a_warning_naming_it() -> None:
    with pytest.warns(UnknownSettingWarning, match="AACE_STORGE_URL names no aace setting"):
        settings = Settings.load(environ={"AACE_STORGE_URL": "memory://"})
    assert settings.storage_url == "sqlite:///aace.db"


def test_the_test_suites_own_variables_are_not_settings_and_not_warned_about() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Settings.load(environ={"AACE_TEST_POSTGRES_URL": "postgresql://x", "AACE_CONFIG": ""})


def test_a_malformed_number_in_the_environment_names_the_setting_and_the_variable() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.load(environ={"AACE_MAX_AGENTS_PER_TENANT": "lots"})
    assert caught.value.field == "max_agents_per_tenant"
    assert "AACE_MAX_AGENTS_PER_TENANT" in str(caught.value)


def test_an_unknown_key_in_the_file_is_an_error_naming_it_and_the_file(tmp_path: Path) -> None:
    path = toml(tmp_path, 'storage_ulr = "memory://"\n')
    with pytest.raises(ValidationError) as caught:
        Settings.load(config=path, environ={})
    assert caught.value.field == "storage_ulr"
    assert str(path) in str(caught.value)


def test_an_unknown_keyword_is_an_error_naming_it() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.load(environ={}, storage="memory://")
    assert caught.value.field == "storage"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("not = [valid", "is not valid TOML"), (None, "cannot read")],
)
def test_an_unreadable_or_invalid_file_is_an_error_naming_it(
    tmp_path: Path, text: str | None, expected: str
) -> None:
    path = toml(tmp_path, text) if text is not None else tmp_path / "missing.toml"
    with pytest.raises(ValidationError, match=expected) as caught:
        Settings.load(config=path, environ={})
    assert caught.value.field == "config"


def test_a_wrongly_typed_value_in_the_file_names_the_setting(tmp_path: Path) -> None:
    path = toml(tmp_path, 'max_agents_per_tenant = "many"\n')
    with pytest.raises(ValidationError) as caught:
        Settings.load(config=path, environ={})
    assert caught.value.field == "max_agents_per_tenant"


@pytest.mark.parametrize("scheme", [s for s, entry in ADAPTERS.items() if not entry.in_process])
def test_a_server_store_without_a_cursor_secret_is_refused_naming_it(scheme: str) -> None:
    settings = Settings(storage_url=f"{scheme}://127.0.0.1:1/x")
    with pytest.raises(ValidationError) as caught:
        store_config(settings)
    assert caught.value.field == "cursor_secret"
    assert caught.value.hint is not None
    assert "AACE_CURSOR_SECRET" in caught.value.hint


@pytest.mark.parametrize("url", ["memory://", "sqlite:///x.db"])
def test_an_in_process_store_draws_a_cursor_secret_when_none_is_set(url: str) -> None:
    first, second = (
        store_config(Settings(storage_url=url)),
        store_config(Settings(storage_url=url)),
    )
    assert first.codec.secret != second.codec.secret


def test_the_first_cursor_secret_signs_and_every_one_verifies() -> None:
    codec = store_config(Settings(storage_url="memory://", cursor_secret=[SECRET, OLD_SECRET]))
    assert codec.codec.secret == SECRET.encode()
    assert codec.codec.previous == (OLD_SECRET.encode(),)


def test_the_repr_of_settings_shows_no_secret() -> None:
    text = repr(Settings(cursor_secret=SECRET, store_options={"aws_secret_access_key": "x" * 9}))
    assert SECRET not in text
    assert "x" * 9 not in text


def test_an_unknown_scheme_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        store_config(Settings(storage_url="mongodb://x"))
    assert caught.value.field == "storage_url"
    for scheme in ADAPTERS:
        assert f"{scheme}://" in str(caught.value)
