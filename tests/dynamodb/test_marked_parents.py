"""A child created while its parent's guarded delete is under way (the parent carries a live
deletion mark) waits it out, as on SQL it waits on the parent's row lock: it lands when the
delete is refused, is ``NotFound`` when the delete lands, and is ``NotFound`` when the mark
is still there at its contention deadline (a delete that crashed); whatever the parent's
check compares (an agent is required through its active version, a thread or a run by its
key). A cascade's requests are counted too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import anyio
import pytest

from aace.adapters.dynamodb import DynamoStore
from aace.adapters.dynamodb.deletion_marks import mark_parent, refuse_if_dependents, unmark_parent
from aace.application.container import wire_services
from aace.application.services.dependents import caused_by
from aace.application.settings import Settings
from aace.domain.entities import AGENTS, RUNS, THREADS
from aace.domain.errors import HasDependents, NotFound
from aace.domain.ports import PRESENT
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext
from aace.domain.unit_of_work import DeleteAction, ParentBeingDeleted

pytestmark = pytest.mark.anyio

AGENT = {"agent_name": "Support", "llm_provider": "openai", "llm_name": "gpt-4o"}
#: A contention deadline that allows no second try: a create still refused is final.
NO_RETRY = 1e-6
#: Where the unit of work looks for a guarded delete's dependents (step 2 of the marks).
LOOK = "aace.adapters.dynamodb.unit_of_work.refuse_if_dependents"
#: Generous bound on a scenario, so a hook that never opens fails instead of hanging.
HANG_GUARD = 60


def _app(store: DynamoStore, **settings: Any) -> SimpleNamespace:
    return SimpleNamespace(**wire_services(Settings(**settings), store))


class Refusals:
    """Counts the tries of a service's create that a parent's deletion mark refused;
    ``first`` is set at the first."""

    def __init__(self, service: Any) -> None:
        self.count = 0
        self.first = asyncio.Event()
        real = service._create_once

        async def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return await real(*args, **kwargs)
            except Exception as exc:
                if caused_by(exc, ParentBeingDeleted):
                    self.count += 1
                    self.first.set()
                raise

        service._create_once = counted


async def _waits_out_a_mark(
    store: DynamoStore, schema: EntitySchema[Any], parent: Any, service: Any, create: Any
) -> Any:
    """``create()`` while ``parent`` is marked: with no time to retry it is ``NotFound``
    (exactly: the crashed-delete case); with time, it is refused until the mark goes, then
    lands."""
    tenant: PartitionKey = parent.partition_key
    delete = DeleteAction(schema, tenant, schema.key_of(parent), PRESENT)
    mark = await mark_parent(store.runner, store.target, delete)
    with pytest.raises(NotFound) as refused:
        await create(_app(store, contention_deadline=NO_RETRY))
    assert type(refused.value) is NotFound
    app = _app(store)
    refusals = Refusals(getattr(app, service))
    with anyio.fail_after(HANG_GUARD):
        creating = asyncio.ensure_future(create(app))
        await refusals.first.wait()
        await unmark_parent(store.runner, store.target, delete, mark)
        return await creating


async def test_children_of_a_parent_being_deleted_wait_for_the_mark(
    dynamo_store: DynamoStore, tenant: PartitionKey
) -> None:
    context = TenantContext(tenant, updated_by="alice")
    agent = await _app(dynamo_store).agents.create(context, AGENT)
    thread = await _waits_out_a_mark(
        dynamo_store,
        AGENTS,
        agent,
        "threads",
        lambda app: app.threads.create(context, {"agent_uuid": agent.agent_uuid}),
    )
    run = await _waits_out_a_mark(
        dynamo_store,
        THREADS,
        thread,
        "runs",
        lambda app: app.runs.create(context, {"thread_uuid": thread.thread_uuid}),
    )
    message = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid, "role": "user"}
    await _waits_out_a_mark(
        dynamo_store,
        RUNS,
        run,
        "messages",
        lambda app: app.messages.create(context, {**message, "message": "m"}),
    )


@pytest.mark.parametrize("threads_before", [1, 0], ids=["refused-delete", "landed-delete"])
async def test_a_create_during_a_delete_paused_after_its_mark(
    dynamo_store: DynamoStore,
    tenant: PartitionKey,
    monkeypatch: pytest.MonkeyPatch,
    threads_before: int,
) -> None:
    """``agents.delete`` without cascade paused once it has marked the agent, and
    ``threads.create`` meanwhile: with a thread already there, the delete is
    ``HasDependents`` and the create lands (it once was ``NotFound`` while the agent
    survived); with none, the delete lands and the create is ``NotFound``."""
    app = _app(dynamo_store)
    context = TenantContext(tenant, updated_by="alice")
    agent = await app.agents.create(context, AGENT)
    for _ in range(threads_before):
        await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    marked, release = asyncio.Event(), asyncio.Event()
    look = refuse_if_dependents

    async def paused(*args: Any, **kwargs: Any) -> None:
        marked.set()
        await release.wait()
        await look(*args, **kwargs)

    monkeypatch.setattr(LOOK, paused)
    refusals = Refusals(app.threads)
    with anyio.fail_after(HANG_GUARD):
        deleting = asyncio.ensure_future(app.agents.delete(context, agent.agent_version_uuid))
        await marked.wait()
        monkeypatch.setattr(LOOK, look)
        creating = asyncio.ensure_future(
            app.threads.create(context, {"agent_uuid": agent.agent_uuid})
        )
        await refusals.first.wait()
        release.set()
        results: tuple[Any, Any] = await asyncio.gather(deleting, creating, return_exceptions=True)
    deleted, created = results
    alive = await app.agents.find(context, agent.agent_version_uuid)
    threads = await app.threads.count(context, agent_uuid=agent.agent_uuid)
    if threads_before:
        assert isinstance(deleted, HasDependents), repr(deleted)
        assert not isinstance(created, BaseException), repr(created)
        assert alive is not None
        assert threads == 2
    else:
        assert deleted is None, repr(deleted)
        assert type(created) is NotFound, repr(created)
        assert alive is None
        assert threads == 0


class Requests:
    """Counts the DynamoDB requests a runner sends, by operation."""

    def __init__(self, store: DynamoStore, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: dict[str, int] = {}
        call: Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]] = store.runner.call

        async def counted(operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
            self.sent[operation] = self.sent.get(operation, 0) + 1
            return await call(operation, kwargs)

        monkeypatch.setattr(store.runner, "call", counted)

    @property
    def total(self) -> int:
        return sum(self.sent.values())


#: Runs (one message each) under the thread of the cascade whose requests are counted.
CASCADE_RUNS = 150


async def test_the_requests_of_a_cascade(
    dynamo_store: DynamoStore, tenant: PartitionKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An agent with a thread of 150 runs of one message each, deleted with
    ``cascade=True``: the subtree's listings, a mark and a ``Query`` per guard of each
    guarded record (a run's guards left out where its thread goes in the same unit and
    guards the same partitions), the marks' removal only on failure, and the transactions
    (docs/dynamodb.md states the figures)."""
    app = _app(dynamo_store)
    context = TenantContext(tenant, updated_by="alice")
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    for _ in range(CASCADE_RUNS):
        run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
        message = {"thread_uuid": thread.thread_uuid, "run_uuid": run.run_uuid}
        await app.messages.create(context, {**message, "role": "user", "message": "m"})
    requests = Requests(dynamo_store, monkeypatch)
    await app.agents.delete(context, agent.agent_version_uuid, cascade=True)
    marks = requests.sent.get("UpdateItem", 0)
    assert marks == CASCADE_RUNS + 2  # the runs, the thread, the agent; none removed
    assert requests.sent.get("TransactWriteItems") == 4  # 303 deletes + the counter
    assert requests.sent.get("Query", 0) <= 120, requests.sent  # 117: 611 before merging
    assert requests.total <= 280, requests.sent  # 274: 768 before
    assert await app.runs.count(context, thread_uuid=thread.thread_uuid) == 0
