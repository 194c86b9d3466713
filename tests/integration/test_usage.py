"""Usage metering on every adapter: records never pass a limit under concurrency, a run's
tokens are recorded exactly once, the quota refuses new runs, periods roll over at the
boundary (injected clock), and tenants keep to their own usage."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.errors import Forbidden, LimitExceeded, ValidationError
from aace.domain.ports import Store
from aace.domain.tenancy import PlatformContext, TenantContext
from tests.integration.records import AGENT

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def app_with(store: Store, clock: Clock | None = None) -> Any:
    return SimpleNamespace(**wire_services(Settings(clock=clock), store))


def operator(context: TenantContext) -> PlatformContext:
    return PlatformContext(updated_by="ops", tenant=context.partition_key)


async def test_concurrent_records_never_pass_the_limit(
    store: Store, context: TenantContext
) -> None:
    app = app_with(store)
    await app.usage_limits.create(
        operator(context), {"usage_key": "calls", "period": "day", "limit": 50}
    )

    async def one() -> bool:
        try:
            await app.usage.record(context, "calls", 1)
        except LimitExceeded:
            return False
        return True

    accepted = sum(await asyncio.gather(*(one() for _ in range(100))))
    assert accepted == 50
    check = await app.usage.check(context, "calls", period="day")
    assert (check.used, check.limit, check.left) == (50, 50, 0)
    month = await app.usage.check(context, "calls")
    assert month.used == 50  # the month counted what the day accepted, no more


async def test_overage_counts_beyond_the_limit(store: Store, context: TenantContext) -> None:
    app = app_with(store)
    await app.usage_limits.create(
        operator(context),
        {"usage_key": "calls", "period": "month", "limit": 2, "allow_overage": True},
    )
    for _ in range(3):
        await app.usage.record(context, "calls", 1)
    assert (await app.usage.check(context, "calls")).used == 3


async def test_a_repeated_idempotency_key_records_once(
    store: Store, context: TenantContext
) -> None:
    app = app_with(store)
    for _ in range(2):
        await app.usage.record(context, "calls", 5, idempotency_key="r-1")
    assert (await app.usage.check(context, "calls")).used == 5
    with pytest.raises(ValidationError) as caught:
        await app.usage.record(context, "calls", -1)
    assert caught.value.field == "amount"


async def test_run_tokens_are_recorded_exactly_once(store: Store, context: TenantContext) -> None:
    app = app_with(store)
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    key = (thread.thread_uuid, run.run_uuid)
    changes = {"completion_tokens": 5, "prompt_tokens": 7}
    await app.runs.update(context, *key, changes)
    await app.runs.update(context, *key, changes)  # the same tokens again: nothing more
    assert (await app.usage.check(context, "tokens")).used == 12
    await app.runs.update(context, *key, {"completion_tokens": 8})  # 3 more
    assert (await app.usage.check(context, "tokens")).used == 15
    assert (await app.usage.check(context, "runs")).used == 1


async def test_the_quota_refuses_new_runs_but_never_spent_tokens(
    store: Store, context: TenantContext
) -> None:
    app = app_with(store)
    await app.usage_limits.create(
        operator(context), {"usage_key": "tokens", "period": "month", "limit": 10}
    )
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    await app.runs.update(
        context, thread.thread_uuid, run.run_uuid, {"completion_tokens": 9, "prompt_tokens": 3}
    )  # 12 tokens: recorded although over the limit, they were spent
    assert (await app.usage.check(context, "tokens")).used == 12
    with pytest.raises(LimitExceeded):
        await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    assert await app.runs.count(context, thread_uuid=thread.thread_uuid) == 1
    await app.usage.adjust(operator(context), "tokens", -12, reason="refund: a faulty model")
    await app.runs.create(context, {"thread_uuid": thread.thread_uuid})  # allowed again


async def test_periods_roll_over_at_the_boundary(store: Store, context: TenantContext) -> None:
    clock = Clock(datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC))
    app = app_with(store, clock)
    await app.usage_limits.create(
        operator(context), {"usage_key": "calls", "period": "day", "limit": 1}
    )
    await app.usage.record(context, "calls", 1)
    with pytest.raises(LimitExceeded):
        await app.usage.record(context, "calls", 1)
    clock.now += timedelta(seconds=1)  # 2026-02-01T00:00:00Z: a new day and a new month
    await app.usage.record(context, "calls", 1)
    day, month = (
        await app.usage.check(context, "calls", period="day"),
        await app.usage.check(context, "calls", period="month"),
    )
    assert (day.used, day.period_start) == (1, datetime(2026, 2, 1, tzinfo=UTC))
    assert (month.used, month.period_start) == (1, datetime(2026, 2, 1, tzinfo=UTC))
    assert (await app.usage.check(context, "calls", period="none")).used == 2
    page = await app.usage.summaries(context, usage_key="calls", period="day")
    assert sorted(s.value for s in page.items) == [1, 1]


async def test_tenants_keep_to_their_own_usage(
    store: Store, context: TenantContext, other_context: TenantContext
) -> None:
    app = app_with(store)
    with pytest.raises(Forbidden):
        await app.usage_limits.create(context, {"usage_key": "calls", "limit": 1})
    with pytest.raises(Forbidden):
        await app.usage.adjust(context, "calls", 5, reason="self-service")
    limit = await app.usage_limits.create(
        operator(context), {"usage_key": "calls", "period": "month", "limit": 3}
    )
    await app.usage.record(context, "calls", 2)
    assert (await app.usage.check(other_context, "calls")).used == 0
    assert (await app.usage.summaries(other_context)).items == []
    assert await app.usage_limits.find(other_context, limit.limit_key) is None
    assert await app.usage_limits.get(context, limit.limit_key) == limit
    with pytest.raises(Forbidden):
        await app.usage_summaries.delete(context, "calls#month#x")
    with pytest.raises(ValidationError) as caught:
        await app.usage_limits.update(operator(context), limit.limit_key, {"period": "day"})
    assert caught.value.field == "period"


async def test_a_refund_can_correct_an_earlier_period(
    store: Store, context: TenantContext
) -> None:
    clock = Clock(datetime(2026, 3, 10, 12, tzinfo=UTC))
    app = app_with(store, clock)
    await app.usage.record(context, "calls", 10)
    clock.now += timedelta(days=1)
    await app.usage.adjust(
        operator(context),
        "calls",
        -4,
        reason="yesterday's retries",
        at=clock.now - timedelta(days=1),
    )
    assert (await app.usage.check(context, "calls", period="month")).used == 6
    assert (await app.usage.check(context, "calls", period="day")).used == 0  # today's
    await app.usage.adjust(
        operator(context), "calls", -6, reason="all of it", periods=["month", "none"]
    )  # today's day total stays untouched (it is 0: a refund there could not go below)
    assert (await app.usage.check(context, "calls", period="none")).used == 0


async def test_retries_are_answered_by_what_the_first_call_did(
    store: Store, context: TenantContext
) -> None:
    app = app_with(store)
    ops = operator(context)
    await app.usage_limits.create(ops, {"usage_key": "runs", "period": "day", "limit": 1})
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    data = {"thread_uuid": thread.thread_uuid}
    first = await app.runs.create(context, data, idempotency_key="run-1")
    assert await app.runs.create(context, data, idempotency_key="run-1") == first  # not quota
    await app.usage.record(context, "calls", 10, idempotency_key="rec-1")
    await app.usage_limits.create(ops, {"usage_key": "calls", "period": "month", "limit": 5})
    await app.usage.record(context, "calls", 10, idempotency_key="rec-1")  # replayed, not refused
    assert (await app.usage.check(context, "calls")).used == 10


async def test_bad_usage_input_is_refused_by_name(store: Store, context: TenantContext) -> None:
    app = app_with(store)
    ops = operator(context)
    for data, field in (
        ({"usage_key": "calls", "limit": -5}, "limit"),
        ({"usage_key": "calls"}, "limit"),
        ({"usage_key": "calls", "limit": 1, "period": "week"}, "period"),
    ):
        with pytest.raises(ValidationError) as caught:
            await app.usage_limits.create(ops, data)
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        await app.usage.record(context, "k" * 300, 1)
    assert caught.value.field == "usage_key"
    naive = app_with(store, Clock(datetime(2026, 1, 1)))
    with pytest.raises(ValidationError) as caught:
        await naive.usage.record(context, "calls", 1)
    assert caught.value.field == "clock"
    agent = await app.agents.create(context, AGENT)
    thread = await app.threads.create(context, {"agent_uuid": agent.agent_uuid})
    run = await app.runs.create(context, {"thread_uuid": thread.thread_uuid})
    key = (thread.thread_uuid, run.run_uuid)
    await app.runs.update(context, *key, {"completion_tokens": 5})
    with pytest.raises(ValidationError) as caught:
        await app.runs.update(context, *key, {"completion_tokens": 4})
    assert caught.value.field == "completion_tokens"


async def test_an_operator_without_a_tenant_reaches_only_the_registries(
    store: Store, context: TenantContext
) -> None:
    app = app_with(store)
    bare = PlatformContext(updated_by="ops")
    with pytest.raises(Forbidden):
        await app.usage.check(bare, "calls")
    with pytest.raises(Forbidden):
        await app.usage.summaries(bare)
    with pytest.raises(Forbidden):
        await app.usage_limits.list(bare)
    with pytest.raises(Forbidden):
        await app.agents.list(bare)
    assert (await app.llms.list(bare, llm_provider="nobody")).items == []
