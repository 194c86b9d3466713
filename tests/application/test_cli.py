"""The ``aace`` command as a person sees it: one error form, exit codes, no tracebacks."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from aace.adapters.sql.engine import normalize_url
from aace.application.cli import main, redacted
from aace.application.container import open_store
from aace.application.demo import counted
from aace.application.settings import Settings
from aace.domain.entities import AGENTS
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET, postgresql
from tests.factories import sample


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    else:
        code = 0
    out, err = capsys.readouterr()
    return code, out, err


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_demo_shows_each_tenants_records_and_isolation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "demo", "--storage", "memory://")
    assert (code, err) == (0, "")
    assert "acme-corp has 3 agents" in out
    assert "globex has 1 agent\n" in out
    assert "acme-corp has 2 coordinations" in out
    assert "still has runs" in out  # the guarded delete, then the cascade
    assert "cascade: the thread went with its run, messages and tool call" in out
    assert "research -> draft, notify -> review" in out
    assert "Onboarding: do step 3" in out
    assert "Quarterly review: do step 2" in out
    assert "got NotFound" in out
    assert "coordination" in out.split("isolation:")[-1]


def test_counts_are_said_in_plain_words() -> None:
    assert [counted(n, "agent") for n in (0, 1, 2)] == ["0 agents", "1 agent", "2 agents"]


def test_init_prepares_a_store_and_says_where(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    assert run(capsys, "init", "--storage", url) == (0, f"ready: {url}\n", "")


def test_init_reads_the_storage_url_from_a_config_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "aace.toml"
    config.write_text(f'storage_url = "sqlite:///{tmp_path / "b.db"}"\n')
    code, _out, _ = run(capsys, "--config", str(config), "init")
    assert code == 0
    assert (tmp_path / "b.db").exists()


def test_an_unknown_scheme_is_a_usage_error_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _out, err = run(capsys, "init", "--storage", "nosuch://x")
    assert code == 2
    assert err.startswith("aace: error: storage_url: unknown scheme 'nosuch'")
    assert "; correct that setting or option and run it again\n" in err
    assert err.count("\n") == 1


def test_an_unknown_option_is_a_usage_error_in_the_same_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "init", "--bogus")
    assert code == 2
    assert err == "aace: error: No such option: --bogus; see 'aace init --help'\n"


def test_dynamodb_table_options_on_another_store_are_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run(capsys, "init", "--storage", "memory://", "--deletion-protection")
    assert code == 2
    assert err.startswith("aace: error: --deletion-protection: applies to dynamodb:// stores")


def test_an_unreachable_server_is_a_runtime_error_naming_host_and_port_without_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://app:hunter2secret@127.0.0.1:{port}/test"
    code, out, err = run(capsys, "init", "--storage", url)
    assert code == 1
    assert err.startswith("aace: error: ")
    assert f"127.0.0.1:{port}" in err
    assert "hunter2secret" not in out + err
    assert "Traceback" not in out + err


def test_an_unknown_aace_variable_is_a_one_line_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AACE_STORGE_URL", "memory://")
    code, _, err = run(capsys, "init", "--storage", "memory://")
    assert code == 0
    assert err.startswith("aace: warning: AACE_STORGE_URL names no aace setting")


def test_a_bad_setting_in_the_environment_names_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AACE_MAX_AGENTS_PER_TENANT", "lots")
    code, _, err = run(capsys, "init", "--storage", "memory://")
    assert code == 2
    assert err.startswith("aace: error: max_agents_per_tenant: must be a whole number")


def test_the_command_alone_shows_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    _code, out, err = run(capsys)
    assert "init" in out
    assert "demo" in out
    assert "error" not in err


def test_urls_are_shown_without_their_password() -> None:
    assert redacted("postgresql://u:pw@h:5432/d") == "postgresql://u:***@h:5432/d"
    assert redacted("sqlite:///a.db") == "sqlite:///a.db"


APP_ROLE = "aace_test_cli_app"


def _as_postgres(statement: str) -> None:
    """Run one statement on the test server as its superuser (a fresh engine per call: the
    command under test runs its own event loops)."""

    async def execute() -> None:
        engine = create_async_engine(
            normalize_url(postgresql.postgres_url()), isolation_level="AUTOCOMMIT"
        )
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(execute())


def _drop_app_role() -> None:
    _as_postgres(
        f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN "
        f"DROP OWNED BY {APP_ROLE}; DROP ROLE {APP_ROLE}; END IF; END $$"
    )


@pytest.fixture
def owner_url() -> Iterator[str]:
    """The test server's URL on a fresh schema (dropped afterwards), without the role
    :data:`APP_ROLE` (dropped before and after)."""
    url = postgresql.postgres_url()
    schema = f"aace_test_{uuid.uuid4().hex[:12]}"
    _drop_app_role()
    _as_postgres(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}?search_path={schema}"
    finally:
        _as_postgres(f'DROP SCHEMA "{schema}" CASCADE')
        _drop_app_role()


def test_init_creates_the_application_role_and_grants_it_the_tables(
    capsys: pytest.CaptureFixture[str], owner_url: str
) -> None:
    granted = "granted the aace tables)\n"
    code, out, err = run(capsys, "init", "--storage", owner_url, "--app-role", APP_ROLE)
    assert (code, err) == (0, "")
    assert out.endswith(f"(role {APP_ROLE} created and {granted}")
    code, out, _ = run(capsys, "init", "--storage", owner_url, "--app-role", APP_ROLE)
    assert (code, out.endswith(f"(role {APP_ROLE} {granted}")) == (0, True)

    async def use_as_the_role() -> int:
        settings = Settings(
            storage_url=postgresql.as_role(owner_url, APP_ROLE),
            cursor_secret=TEST_SECRET,
            initialize="verify",
        )
        store = await open_store(settings)
        try:
            tenant = PartitionKey("ep", "cli-role")
            await store.repository(AGENTS).put(sample(AGENTS, tenant))
            return len((await store.repository(AGENTS).query(tenant, Query())).items)
        finally:
            await store.close()

    assert asyncio.run(use_as_the_role()) == 1


@pytest.mark.parametrize(
    ("role", "words"),
    [
        ("postgres", "app_role: postgres bypasses row-level security"),
        ("Bad-Name", "app_role: must be a lower-case identifier"),
        (APP_ROLE, "app_role: aace_test_cli_app owns the aace tables or belongs to their owner"),
    ],
)
def test_init_refuses_a_role_that_bypasses_the_policies_or_a_bad_name(
    capsys: pytest.CaptureFixture[str], owner_url: str, role: str, words: str
) -> None:
    if role == APP_ROLE:  # a role that belongs to the tables' owner
        _as_postgres(f"CREATE ROLE {APP_ROLE} NOLOGIN")
        _as_postgres(f"GRANT postgres TO {APP_ROLE}")
    code, _out, err = run(capsys, "init", "--storage", owner_url, "--app-role", role)
    assert code == 2
    assert err.startswith(f"aace: error: {words}")


def test_init_run_by_a_role_that_does_not_own_the_tables_grants_nothing(
    capsys: pytest.CaptureFixture[str], owner_url: str
) -> None:
    assert run(capsys, "init", "--storage", owner_url)[0] == 0  # migrated by the owner
    schema = owner_url.rpartition("search_path=")[2]
    _as_postgres(f"CREATE ROLE {APP_ROLE} LOGIN")  # it may use the schema and read the tables
    _as_postgres(f'GRANT USAGE ON SCHEMA "{schema}" TO {APP_ROLE}')
    _as_postgres(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO {APP_ROLE}')
    code, _out, err = run(
        capsys,
        "init",
        "--storage",
        postgresql.as_role(owner_url, APP_ROLE),
        "--app-role",
        "aace_test_cli_other",
    )
    assert code == 1
    assert "aace_test_cli_app does not own the aace tables, so it cannot grant them" in err


def test_an_app_role_applies_to_postgresql_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    code, _out, err = run(capsys, "init", "--storage", url, "--app-role", "aace_app")
    assert code == 2
    assert err.startswith("aace: error: app_role: applies to postgresql:// stores only")
    assert not (tmp_path / "c.db").exists()
