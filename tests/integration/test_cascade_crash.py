"""A cascade spread over several units of work, killed with SIGKILL between two of them,
then re-run: the crash leaves parents with fewer descendants, never a descendant without
its parent, and the re-run finishes the job (SQLite files, a real process per cascade)."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from anyio.streams.buffered import BufferedByteReceiveStream

from aace import Aace, Settings, TenantContext
from aace.domain.errors import NotFound
from tests.backends import TEST_SECRET
from tests.integration.races import AGENT

pytestmark = pytest.mark.anyio

#: Units of work the cascade is killed after, one round each (it needs four).
KILLED_AFTER = (1, 2, 3, 1, 2)
#: Actions per unit of work in the killed process: of the 21 records below the agent, listed
#: in post-order (each after its descendants), the last unit takes the last 4 listed (the
#: last thread, its two runs and one of its messages) with the agent's delete and counter;
#: the 17 listed first go first, in units of these sizes.
UNIT_SIZE = 6
EARLIER_UNITS = (6, 6, 5)
#: Generous bound on the killed process's start and cascade (a hang guard, not a timing).
HANG_GUARD = 120

#: The killed process: the cascade on units of ``UNIT_SIZE`` actions, which stops dead
#: (prints and waits to be killed) once the given number of units has committed.
CASCADE = """
import asyncio, sys
from aace import Aace, Settings, TenantContext
from aace.adapters.sql.unit_of_work import SqlUnitOfWork
from aace.domain.tenancy import PartitionKey

url, secret, endpoint, part, version, size, stop_after = sys.argv[1:]
SqlUnitOfWork.max_actions = int(size)
apply = SqlUnitOfWork._apply
units = 0

async def counted(self, actions):
    global units
    await apply(self, actions)
    units += 1
    if units == int(stop_after):
        print("units", units, flush=True)
        await asyncio.Event().wait()

SqlUnitOfWork._apply = counted

async def main():
    settings = Settings(storage_url=url, cursor_secret=secret)
    async with Aace.open(settings) as app:
        context = TenantContext(PartitionKey(endpoint, part), updated_by="crash")
        await app.agents.delete(context, version, cascade=True)
    print("finished", flush=True)

asyncio.run(main())
"""


async def _tree(app: Any, context: TenantContext) -> dict[str, Any]:
    """An agent with 3 threads, each with 2 runs of 2 messages (21 records below it)."""
    agent = await app.agents.create(context, AGENT)
    tree: dict[str, Any] = {"agent": agent, "threads": [], "runs": [], "messages": []}
    for _ in range(3):
        thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
        tree["threads"].append(thread)
        for _ in range(2):
            run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
            tree["runs"].append(run)
            under = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
            for text in ("a", "b"):
                message = {**under, "role": "user", "message": text}
                tree["messages"].append(await app.messages.create(context, message))
    return tree


async def _kill_after(
    settings: Settings, context: TenantContext, version: str, units: int
) -> None:
    """Run the cascade in a process of its own; SIGKILL it once ``units`` have committed."""
    tenant = context.partition_key
    command = [
        sys.executable,
        "-c",
        CASCADE,
        settings.storage_url,
        TEST_SECRET.decode(),
        tenant.endpoint_id,
        tenant.part_id,
        version,
        str(UNIT_SIZE),
        str(units),
    ]
    async with await anyio.open_process(command) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            with anyio.fail_after(HANG_GUARD):  # a child that never prints fails, not hangs
                line = await BufferedByteReceiveStream(process.stdout).receive_until(b"\n", 100)
        except anyio.EndOfStream:
            line = b""
        except TimeoutError:
            process.kill()
            raise
        if line.split() != [b"units", str(units).encode()]:
            errors = b"".join([chunk async for chunk in process.stderr])
            pytest.fail(f"the cascade did not stop after {units} units: {line!r} {errors!r}")
        process.send_signal(signal.SIGKILL)
        await process.wait()


async def _what_is_left(app: Any, context: TenantContext, tree: dict[str, Any]) -> int:
    """How many records of ``tree`` are left, checking that each one's parents are too."""
    agent_left = await app.agents.find(context, tree["agent"].agent_version_uuid) is not None
    threads = {
        t.thread_uuid for t in tree["threads"] if await app.threads.find(context, t.thread_uuid)
    }
    runs = {
        r.run_uuid for r in tree["runs"] if await app.runs.find(context, r.thread_uuid, r.run_uuid)
    }
    messages = [
        m
        for m in tree["messages"]
        if await app.messages.find(context, m.thread_uuid, m.message_uuid)
    ]
    assert agent_left or not threads, "threads outlived their agent"
    for run in tree["runs"]:
        assert run.run_uuid not in runs or run.thread_uuid in threads, "a run outlived its thread"
    for message in messages:
        assert message.run_uuid in runs, "a message outlived its run"
        assert message.thread_uuid in threads, "a message outlived its thread"
    return int(agent_left) + len(threads) + len(runs) + len(messages)


async def test_a_cascade_killed_between_units_leaves_no_orphan_and_a_rerun_finishes(
    tmp_path: Path, new_tenant: Any
) -> None:
    settings = Settings(
        storage_url=f"sqlite:///{tmp_path / 'crash.db'}", cursor_secret=TEST_SECRET
    )
    for units in KILLED_AFTER:
        context = TenantContext(new_tenant(), updated_by="alice")
        async with Aace.open(settings) as app:
            tree = await _tree(app, context)
        version = tree["agent"].agent_version_uuid
        await _kill_after(settings, context, version, units)
        async with Aace.open(settings) as app:
            left = await _what_is_left(app, context, tree)
            assert left == 22 - sum(EARLIER_UNITS[:units]), (units, left)  # whole units
            await app.agents.delete(context, version, cascade=True)
            assert await _what_is_left(app, context, tree) == 0
            assert await app.agents.count(context) == 0
            with pytest.raises(NotFound):
                await app.agents.delete(context, version, cascade=True)
