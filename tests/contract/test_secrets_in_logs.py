"""MCP server headers stay out of logs, error messages and tracebacks (behaviour.md §11).

The package's loggers (``aace``), SQLAlchemy's engine log and aiosqlite's log are captured at
DEBUG while MCP servers are written, refused and read; the header values appear nowhere.
botocore and PynamoDB print every request at DEBUG (docs/logging.md), so they are not
captured here.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import attrs
import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS, MCP_SERVERS, McpServer
from aace.domain.errors import AaceError, ConditionFailed, Conflict, NotFound
from aace.domain.ports import ABSENT, PRESENT, Condition, Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.backends import ADAPTERS, opener
from tests.backends.dynamodb import boto3_client, session_endpoint
from tests.factories import sample
from tests.sql.conftest import run_as_owner

pytestmark = pytest.mark.anyio

#: Loggers whose records must never hold a header value.
CAPTURED = ("aace", "sqlalchemy.engine", "aiosqlite")
#: The label the refusing backends of :func:`refusing_store` refuse.
REFUSED = "refused-label"


@attrs.frozen
class Secrets:
    """Two header values, unique to one test (hex only, so no escaping can hide them)."""

    token: str = attrs.field(factory=lambda: uuid.uuid4().hex)
    key: str = attrs.field(factory=lambda: uuid.uuid4().hex)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "X-Api-Key": self.key}

    def found_in(self, shown: str) -> list[str]:
        return [value for value in (self.token, self.key) if value in shown]


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@contextmanager
def debug_log() -> Iterator[list[str]]:
    """Every record of :data:`CAPTURED` at DEBUG, formatted (exceptions included); the
    loggers' levels are restored afterwards."""
    handler = _Collect()
    loggers = [logging.getLogger(name) for name in CAPTURED]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        yield handler.lines
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)


def everything_shown(error: BaseException) -> str:
    """What an error shows: its message, its repr and its full traceback with every cause."""
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


def mcp_server(tenant: PartitionKey, secrets: Secrets, **changes: object) -> McpServer:
    return sample(MCP_SERVERS, tenant, headers=secrets.headers, **changes)


def assert_engine_log_was_captured(store: Store, lines: list[str]) -> None:
    """The capture is not vacuous: on SQL, the engine logged the MCP server statements."""
    if isinstance(store, SqlStore):
        assert any(MCP_SERVERS.name in line for line in lines)


async def test_mcp_headers_never_appear_in_the_package_or_engine_log(
    store: Store, tenant: PartitionKey
) -> None:
    secrets = Secrets()
    repo = store.repository(MCP_SERVERS)
    server = mcp_server(tenant, secrets)
    key = MCP_SERVERS.key_of(server)
    with debug_log() as lines:
        await repo.put(server, condition=ABSENT)
        with pytest.raises(Conflict):
            await repo.put(server, condition=ABSENT)
        updated = attrs.evolve(server, mcp_label="renamed")
        await repo.put(updated, condition=Condition.present(mcp_label=server.mcp_label))
        with pytest.raises(ConditionFailed):
            await repo.put(server, condition=Condition.present(mcp_label=server.mcp_label))
        with pytest.raises(ConditionFailed):
            await repo.delete(tenant, key, condition=Condition.present(mcp_label="stale"))
        with pytest.raises(ConditionFailed):
            async with store.unit_of_work() as uow:
                uow.put(sample(AGENTS, tenant), condition=ABSENT)
                uow.put(server, condition=Condition.present(mcp_label="stale"))
    assert_engine_log_was_captured(store, lines)
    assert not secrets.found_in("\n".join(lines))


async def test_reading_an_mcp_server_returns_its_headers_and_logs_none_of_them(
    store: Store, tenant: PartitionKey
) -> None:
    secrets = Secrets()
    repo = store.repository(MCP_SERVERS)
    server = mcp_server(tenant, secrets)
    await repo.put(server, condition=ABSENT)
    key = MCP_SERVERS.key_of(server)
    with debug_log() as lines:
        found = await repo.get(tenant, key)
        (many,) = await repo.get_many(tenant, [key])
        page = await repo.query(tenant, Query())
    assert many is not None
    assert found.headers == many.headers == page.items[0].headers == secrets.headers
    assert_engine_log_was_captured(store, lines)
    assert not secrets.found_in("\n".join(lines))
    assert not secrets.found_in(repr(found))


async def test_failed_conditions_on_an_mcp_server_quote_no_header_value(
    store: Store, tenant: PartitionKey
) -> None:
    secrets = Secrets()
    repo = store.repository(MCP_SERVERS)
    server = mcp_server(tenant, secrets)
    key = MCP_SERVERS.key_of(server)
    await repo.put(server, condition=ABSENT)
    stale = Condition.present(mcp_label="stale")
    attempts: list[tuple[Callable[[], Awaitable[None]], type[AaceError]]] = [
        (lambda: repo.put(server, condition=ABSENT), Conflict),
        (lambda: repo.put(server, condition=stale), ConditionFailed),
        (lambda: repo.delete(tenant, key, condition=stale), ConditionFailed),
        (lambda: repo.delete(tenant, ("missing",), condition=PRESENT), NotFound),
    ]
    errors: list[AaceError] = []
    for attempt, expected in attempts:
        with pytest.raises(expected) as raised:
            await attempt()
        errors.append(raised.value)
    for error in errors:
        assert type(error).__module__ == "aace.domain.errors"
        assert not secrets.found_in(everything_shown(error))


@asynccontextmanager
async def refusing_store(request: pytest.FixtureRequest, adapter: str) -> AsyncIterator[Store]:
    """A fresh store whose backend itself refuses MCP server writes: labelled
    :data:`REFUSED` (SQL: a trigger on SQLite, a CHECK constraint on PostgreSQL, whose error
    DETAIL quotes the whole row), or any (DynamoDB: the table is gone)."""
    async with opener(adapter)(request) as store:
        if isinstance(store, SqlStore):
            table = store.table_names(MCP_SERVERS)
            if adapter == "sqlite":
                refuse = [
                    f'CREATE TRIGGER refuse_{event} BEFORE {event} ON "{table}" '
                    f"WHEN NEW.mcp_label = '{REFUSED}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
                    for event in ("INSERT", "UPDATE")
                ]
            else:
                check = f"mcp_label <> '{REFUSED}'"
                refuse = [f'ALTER TABLE "{table}" ADD CONSTRAINT refuse CHECK ({check})']
            await run_as_owner(store, *refuse)
        elif isinstance(store, DynamoStore):
            client = boto3_client(session_endpoint(request.config))
            client.delete_table(TableName=store.settings.table_name(MCP_SERVERS))
        yield store


@pytest.mark.parametrize("adapter", [a for a in ADAPTERS if a != "memory"])  # it has no driver
async def test_a_write_the_database_refuses_quotes_no_header_value(
    adapter: str, tenant: PartitionKey, request: pytest.FixtureRequest
) -> None:
    secrets = Secrets()
    async with refusing_store(request, adapter) as refusing:
        repo = refusing.repository(MCP_SERVERS)
        accepted = mcp_server(tenant, secrets)
        if adapter != "dynamodb":
            await repo.put(accepted, condition=ABSENT)
        created = mcp_server(tenant, secrets, mcp_label=REFUSED)
        renamed = attrs.evolve(accepted, mcp_label=REFUSED)
        unchanged = Condition.present(mcp_label=accepted.mcp_label)
        errors: list[AaceError] = []
        with debug_log() as lines:
            for attempt in (
                lambda: repo.put(created, condition=ABSENT),
                lambda: repo.put(renamed, condition=unchanged),
            ):
                with pytest.raises(AaceError) as raised:
                    await attempt()
                errors.append(raised.value)
    assert not secrets.found_in("\n".join(lines))
    for error in errors:
        assert type(error).__module__ == "aace.domain.errors"
        shown = everything_shown(error)
        assert "The above exception was the direct cause" in shown  # a cause is chained
        assert not secrets.found_in(shown)
