"""The embedder's test kit (``aace.testing``), run as embedders run it: real inner pytest
runs (``pytester``) of a small suite using the plugin, on memory, SQLite and DynamoDB Local."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.backends.dynamodb import MOTO, session_endpoint

pytest_plugins = ["pytester"]

#: An embedder's suite: every fixture and marker of the kit.
SUITE = """
import sys
from datetime import datetime, timedelta, timezone

import pytest

from aace.application.roster import service_names

LOADED_WHEN_COLLECTED = set(sys.modules)
SERVICES = [s for s in service_names() if not s.startswith("usage")]


def test_importing_the_plugin_loaded_no_store_or_service():
    assert "aace.application.facade" not in LOADED_WHEN_COLLECTED
    assert "aace.application.services" not in LOADED_WHEN_COLLECTED
    assert "sqlalchemy" not in LOADED_WHEN_COLLECTED


@pytest.mark.anyio
@pytest.mark.parametrize("service", SERVICES)
async def test_a_valid_record_of_each_service(aace_app, aace_records, aace_tenant, service):
    record = await aace_records.create(service, aace_tenant)
    assert record is not None


@pytest.mark.anyio
async def test_the_app_is_on_the_chosen_storage(aace_app, aace_storage):
    expected = aace_storage.split(":", 1)[0].split("+", 1)[0]
    assert aace_app.store.adapter == expected


@pytest.mark.anyio
async def test_tenants_are_apart(aace_app, aace_records, aace_new_tenant):
    alice, bob = aace_new_tenant(), aace_new_tenant()
    await aace_records.create("agents", alice, agent_name="Alice's")
    assert [a.agent_name for a in (await aace_app.agents.list(alice)).items] == ["Alice's"]
    assert (await aace_app.agents.list(bob)).items == []


@pytest.mark.anyio
async def test_usage_periods_follow_the_frozen_clock(aace_app, aace_clock, aace_tenant):
    assert aace_clock() == datetime(2025, 1, 1, tzinfo=timezone.utc)
    await aace_app.usage.record(aace_tenant, "tokens", 5)
    aace_clock.advance(days=40)
    assert aace_clock() == datetime(2025, 2, 10, tzinfo=timezone.utc)
    await aace_app.usage.record(aace_tenant, "tokens", 7)
    check = await aace_app.usage.check(aace_tenant, "tokens")
    assert check.used == 7  # February's total only


@pytest.mark.anyio
@pytest.mark.aace_settings(max_agents_per_tenant=1)
async def test_a_marker_sets_the_apps_settings(aace_app, aace_records, aace_tenant):
    from aace import LimitExceeded

    await aace_records.create("agents", aace_tenant)
    with pytest.raises(LimitExceeded):
        await aace_records.create("agents", aace_tenant)


@pytest.mark.aace_adapters("dynamodb")
def test_only_on_dynamodb(aace_storage):
    assert aace_storage.startswith("dynamodb")


def test_the_blocking_twin(aace_blocking_app, aace_tenant):
    agent = aace_blocking_app.agents.create(
        aace_tenant, {"agent_name": "A", "llm_provider": "openai", "llm_name": "m"}
    )
    assert aace_blocking_app.agents.active(aace_tenant, agent.agent_uuid) == agent
"""

#: Inner tests: the suite's, with the storage-specific ones skipped elsewhere.
PASSED = 6 + 23


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_embedder=SUITE)
    return pytester.runpytest_subprocess("-p", "aace.testing", "--strict-markers", *args)


def test_the_suite_runs_on_memory_by_default(pytester: pytest.Pytester) -> None:
    result = _run(pytester)
    result.assert_outcomes(passed=PASSED, skipped=1)


def test_the_plugin_loads_from_the_conftest_too(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["aace.testing"]')
    pytester.makepyfile(test_embedder=SUITE)
    result = pytester.runpytest_subprocess("--strict-markers", "-k", "marker or frozen")
    result.assert_outcomes(passed=2)


def test_the_suite_runs_on_sqlite(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--aace-storage", "sqlite")
    result.assert_outcomes(passed=PASSED, skipped=1)


def test_the_storage_comes_from_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AACE_TEST_STORAGE", "sqlite")
    result = _run(pytester, "-k", "chosen_storage")
    result.assert_outcomes(passed=1)


def test_the_suite_runs_on_dynamodb_local(
    pytester: pytest.Pytester, request: pytest.FixtureRequest
) -> None:
    endpoint = session_endpoint(request.config)
    if endpoint == MOTO:
        pytest.skip("DynamoDB Local is not running (moto's in-process mock cannot be reached)")
    url = f"dynamodb://{endpoint}?region=us-east-1"
    result = _run(pytester, "--aace-storage", url)
    result.assert_outcomes(passed=PASSED + 1)


def test_the_option_is_documented(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("-p", "aace.testing", "--help")
    result.stdout.fnmatch_lines(["*--aace-storage*"])
    markers = pytester.runpytest_subprocess("-p", "aace.testing", "--markers")
    markers.stdout.fnmatch_lines(["*aace_settings*", "*aace_adapters*"])


def _docs_example() -> str:
    """The test module docs/embedding.md shows under "Testing your code"."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "embedding.md").read_text()
    section = page.split("## Testing your code", 1)[1]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize("storage", ["memory://", "sqlite"])
def test_the_docs_example_runs(pytester: pytest.Pytester, storage: str) -> None:
    pytester.makepyfile(test_docs_example=_docs_example())
    result = pytester.runpytest_subprocess("-p", "aace.testing", "--aace-storage", storage)
    result.assert_outcomes(passed=1)
