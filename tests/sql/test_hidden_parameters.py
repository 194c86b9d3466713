"""SQL engines hide statement parameters: SQLAlchemy's log and errors show no record values."""

from __future__ import annotations

import logging
import traceback
import uuid

import attrs
import pytest

from aace.adapters.sql import SqlStore
from aace.domain.entities import AGENTS, MCP_SERVERS
from aace.domain.errors import Conflict
from aace.domain.ports import ABSENT, PRESENT, Condition
from aace.domain.tenancy import PartitionKey
from tests.factories import sample
from tests.sql.conftest import run_as_owner

pytestmark = pytest.mark.anyio

TENANT = PartitionKey("ep", "hidden")


async def test_statement_parameters_never_appear_in_the_engine_log(
    sql_store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    words = uuid.uuid4().hex
    agent = sample(AGENTS, TENANT, instructions=words)
    repo = sql_store.repository(AGENTS)
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.engine"):
        await repo.put(agent, condition=ABSENT)
        await repo.put(attrs.evolve(agent, agent_name="renamed"), condition=PRESENT)
    assert "[SQL parameters hidden due to hide_parameters=True]" in caplog.text
    assert words not in caplog.text


async def test_the_lock_of_an_equality_condition_reads_only_the_attributes_it_names(
    sql_store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    words = uuid.uuid4().hex
    agent = sample(AGENTS, TENANT, instructions=words)
    repo = sql_store.repository(AGENTS)
    await repo.put(agent, condition=ABSENT)
    with caplog.at_level(logging.DEBUG, logger="sqlalchemy.engine"):
        unchanged = Condition.present(agent_name=agent.agent_name)
        await repo.put(attrs.evolve(agent, agent_name="renamed"), condition=unchanged)
    rows = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Row ")]
    assert rows == [f"Row ({str(TENANT)!r}, {agent.agent_version_uuid!r}, {agent.agent_name!r})"]
    assert words not in caplog.text


async def test_a_refused_statement_chains_a_cause_without_the_driver_detail(
    sql_store: SqlStore,
) -> None:
    token = uuid.uuid4().hex
    table = sql_store.table_names(MCP_SERVERS)
    if sql_store.adapter == "sqlite":
        refuse = (
            f'CREATE TRIGGER refuse BEFORE INSERT ON "{table}" '
            "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
        )
    else:
        refuse = f"ALTER TABLE \"{table}\" ADD CONSTRAINT refuse CHECK (mcp_label = '')"
    await run_as_owner(sql_store, refuse)
    server = sample(MCP_SERVERS, TENANT, headers={"Authorization": f"Bearer {token}"})
    with pytest.raises(Conflict) as raised:
        await sql_store.repository(MCP_SERVERS).put(server, condition=ABSENT)
    cause = raised.value.__cause__
    assert type(cause).__name__ == "StatementFailed"
    assert f'INSERT INTO "{table}"' in str(cause)
    assert "refuse" in str(cause)  # the driver's first line: the trigger's or constraint's name
    assert "DETAIL" not in str(cause)
    assert token not in "".join(traceback.format_exception(raised.value))
