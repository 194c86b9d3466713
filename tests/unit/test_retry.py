"""RetryPolicy and the loop that runs it: equal-jitter capped waits, attempts and deadline
(on an injected clock), refused errors, bad values."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import attrs
import pytest

from aace import ValidationError
from aace.adapters import retrying
from aace.adapters.retrying import Clock
from aace.domain.retry import RetryPolicy

pytestmark = pytest.mark.anyio


class Transient(Exception):
    """The error the tests' predicate retries."""


def is_transient(error: BaseException) -> bool:
    return isinstance(error, Transient)


@attrs.define
class FakeClock:
    """The clock a deadline is measured on: it moves only when told to."""

    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class Recorder:
    """Stands in for the wait between tries: remembers each delay and when it began, and
    moves ``clock`` on by the delay instead of waiting."""

    clock: FakeClock = attrs.field(factory=FakeClock)
    delays: list[float] = attrs.field(factory=list)
    began: list[float] = attrs.field(factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.began.append(self.clock.now)
        self.clock.now += seconds


@attrs.define
class Flaky:
    """Fails with ``Transient`` ``failures`` times (``None``: always), then returns 'done';
    each try takes ``takes`` seconds on ``clock``."""

    failures: int | None = None
    calls: int = 0
    clock: FakeClock = attrs.field(factory=FakeClock)
    takes: float = 0.0

    async def __call__(self) -> str:
        self.calls += 1
        self.clock.now += self.takes
        if self.failures is None or self.calls <= self.failures:
            raise Transient(f"try {self.calls}")
        return "done"


Run = Callable[..., Awaitable[Any]]


def _through_tenacity(
    policy: RetryPolicy, function: Any, sleep: Any = None, clock: Clock = time.monotonic
) -> Awaitable[Any]:
    return retrying.retrying(policy, is_transient, sleep=sleep, clock=clock)(function)


def _through_call(
    policy: RetryPolicy, function: Any, sleep: Any = None, clock: Clock = time.monotonic
) -> Awaitable[Any]:
    return retrying.call(policy, is_transient, function, sleep=sleep, clock=clock)


@pytest.fixture(params=[_through_tenacity, _through_call], ids=["retrying", "call"])
def run(request: pytest.FixtureRequest) -> Run:
    """Both ways of running a policy: the same tries and waits."""
    return request.param


async def test_waits_lie_between_half_and_all_of_a_doubling_capped_ceiling(run: Run) -> None:
    policy = RetryPolicy(attempts=10, base_delay=0.01, max_delay=0.05)
    firsts = set()
    for _ in range(20):
        sleep = Recorder()
        with pytest.raises(Transient):
            await run(policy, Flaky(), sleep)
        assert len(sleep.delays) == 9
        for retry, delay in enumerate(sleep.delays):
            ceiling = min(0.05, 0.01 * 2**retry)
            assert policy.ceiling(retry) == ceiling
            assert ceiling / 2 <= delay <= ceiling, (retry, delay)
        firsts.add(sleep.delays[0])
    assert len(firsts) > 1, "the waits are jittered"


async def test_attempts_count_every_try_and_the_last_error_is_raised_as_itself(run: Run) -> None:
    sleep, flaky = Recorder(), Flaky()
    with pytest.raises(Transient, match=r"^try 3$"):
        await run(RetryPolicy(attempts=3), flaky, sleep)
    assert flaky.calls == 3
    assert len(sleep.delays) == 2


async def test_a_call_that_recovers_returns_its_result(run: Run) -> None:
    sleep, flaky = Recorder(), Flaky(failures=2)
    assert await run(RetryPolicy(attempts=3), flaky, sleep) == "done"
    assert (flaky.calls, len(sleep.delays)) == (3, 2)


async def test_an_error_the_predicate_refuses_is_raised_at_once(run: Run) -> None:
    sleep = Recorder()
    calls: list[Any] = []

    async def broken() -> None:
        calls.append(None)
        raise KeyError("final")

    with pytest.raises(KeyError, match="final"):
        await run(RetryPolicy(attempts=5), broken, sleep)
    assert len(calls) == 1
    assert sleep.delays == []


@pytest.mark.parametrize("takes", [0.0, 0.015], ids=["instant-tries", "slow-tries"])
async def test_the_deadline_stops_retries_without_an_attempt_limit(run: Run, takes: float) -> None:
    """The deadline counts waits and tries alike, from the first try, on the clock given."""
    deadline = 0.2
    policy = RetryPolicy(attempts=None, base_delay=0.01, max_delay=0.04, deadline=deadline)
    clock = FakeClock()
    sleep, flaky = Recorder(clock), Flaky(clock=clock, takes=takes)
    with pytest.raises(Transient):
        await run(policy, flaky, sleep, clock)
    assert flaky.calls == len(sleep.delays) + 1 >= 2
    for began, delay in zip(sleep.began, sleep.delays, strict=True):
        assert began + delay < deadline  # no wait would end past the deadline
    assert clock.now - takes < deadline  # the last try began before it, and none after
    assert clock.now + policy.max_delay >= deadline  # nor did it give up early


async def test_the_default_wait_is_asyncio_sleep(run: Run) -> None:
    policy = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.001)
    assert await run(policy, Flaky(failures=1)) == "done"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"attempts": 0}, "attempts"),
        ({"attempts": -2}, "attempts"),
        ({"attempts": True}, "attempts"),
        ({"attempts": "3"}, "attempts"),
        ({"base_delay": 0}, "base_delay"),
        ({"base_delay": None}, "base_delay"),
        ({"max_delay": -1.0}, "max_delay"),
        ({"deadline": 0}, "deadline"),
        ({"deadline": "10"}, "deadline"),
        ({"attempts": None}, "attempts"),
        ({"attempts": None, "deadline": None}, "attempts"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        RetryPolicy(**values)
    assert refused.value.field == field
