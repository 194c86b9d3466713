"""Typed filters (IN-lists, substrings, time ranges, nested equality) on every adapter."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aace.domain.entities import AGENTS, Agent
from aace.domain.errors import InvalidCursor, ValidationError
from aace.domain.filters import MAX_IN_VALUES, All, Between, Contains, In, Nested, TimeRange
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.contract.paging import all_pages
from tests.factories import sample

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)
NAMES = ("Alpha Bot", "beta bot", "Gamma 50%", "gamma_x", "BOT", "delta")
PROVIDERS = ("openai", "anthropic", "local")
CONFIGURATIONS: tuple[dict[str, Any], ...] = (
    {"model": "gpt-4o"},
    {"model": "claude"},
    {"model": 4},
    {"model": 4.0, "limits": {"tokens": 100}},
    {"model": True},
    {"model": "4", "limits": {"tokens": 100.5}},
    {},
    {"tags": ["x", "y"]},
    {"tags": "x"},
    {"tags": [1, "y", {"x": 1}]},
)
COUNT = 20


def _at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def _fields(i: int) -> dict[str, Any]:
    """The attributes of the ``i``-th agent: each filter admits some agents, never all."""
    return {
        "agent_version_uuid": f"v{i:04d}",
        "agent_uuid": f"a{i % 3}",
        "agent_name": NAMES[i % len(NAMES)],
        "llm_provider": PROVIDERS[i % len(PROVIDERS)],
        "configuration": CONFIGURATIONS[i % len(CONFIGURATIONS)],
        "num_of_messages": i,
        "updated_at": _at(i),
        "status": "active" if i % 2 else "inactive",
    }


async def _agents(store: Store, tenant: PartitionKey) -> list[Agent]:
    agents = [sample(AGENTS, tenant, **_fields(i)) for i in range(COUNT)]
    await store.repository(AGENTS).put_many(agents)
    return agents


def _tags(agent: Agent) -> Any:
    return agent.configuration.get("tags")


CASES: dict[str, tuple[dict[str, Any], Callable[[Agent], bool]]] = {
    "nested-in-list": (
        {"configuration": Nested("tags", "x", in_list=True)},
        lambda a: isinstance(_tags(a), list) and "x" in _tags(a),
    ),
    "all-nested": (
        {
            "configuration": All(
                [Nested("tags", "y", in_list=True), Nested("tags", "x", in_list=True)]
            )
        },
        lambda a: isinstance(_tags(a), list) and "x" in _tags(a) and "y" in _tags(a),
    ),
    "all-equals-and-in": (
        {"llm_provider": All(["openai", In(["openai", "local"])])},
        lambda a: a.llm_provider == "openai",
    ),
    "nested-in-list-y": (
        {"configuration": Nested("tags", "y", in_list=True)},
        lambda a: isinstance(_tags(a), list) and "y" in _tags(a),
    ),
    "in": ({"llm_provider": In(["openai", "local"])}, lambda a: a.llm_provider != "anthropic"),
    "empty-in": ({"llm_provider": In([])}, lambda a: False),
    "in-on-the-range-key": (
        {"agent_version_uuid": In(("v0002", "v0005", "nope"))},
        lambda a: a.agent_version_uuid in ("v0002", "v0005"),
    ),
    "in-numbers": ({"num_of_messages": In([3, 4.0, 99])}, lambda a: a.num_of_messages in (3, 4)),
    "between-inclusive": (
        {"num_of_messages": Between(3, 7.0)},
        lambda a: 3 <= a.num_of_messages <= 7,
    ),
    "between-low-only": ({"num_of_messages": Between(low=10)}, lambda a: a.num_of_messages >= 10),
    "between-high-only": ({"num_of_messages": Between(high=2)}, lambda a: a.num_of_messages <= 2),
    "between-empty": ({"num_of_messages": Between(5, 4)}, lambda a: False),
    "contains-is-case-sensitive": (
        {"agent_name": Contains("Bot")},
        lambda a: "Bot" in a.agent_name,
    ),
    "contains-percent": ({"agent_name": Contains("50%")}, lambda a: a.agent_name == "Gamma 50%"),
    "contains-underscore": ({"agent_name": Contains("_")}, lambda a: a.agent_name == "gamma_x"),
    "contains-on-the-range-key": (
        {"agent_version_uuid": Contains("01")},
        lambda a: "01" in a.agent_version_uuid,
    ),
    "after-is-strict": (
        {"updated_at": TimeRange(after=_at(10))},
        lambda a: a.updated_at > _at(10),
    ),
    "before-is-strict": (
        {"updated_at": TimeRange(before=_at(3))},
        lambda a: a.updated_at < _at(3),
    ),
    "between": (
        {"updated_at": TimeRange(after=_at(2), before=_at(6))},
        lambda a: _at(2) < a.updated_at < _at(6),
    ),
    "empty-time-range": (
        {"updated_at": TimeRange(after=_at(5), before=_at(5))},
        lambda a: False,
    ),
    "nested-string": (
        {"configuration": Nested(("model",), "gpt-4o")},
        lambda a: a.configuration.get("model") == "gpt-4o",
    ),
    "nested-number-is-not-a-bool-nor-text": (
        {"configuration": Nested("model", 4)},
        lambda a: (
            a.configuration.get("model") in (4, 4.0) and a.configuration["model"] is not True
        ),
    ),
    "nested-bool": (
        {"configuration": Nested("model", True)},
        lambda a: a.configuration.get("model") is True,
    ),
    "nested-dotted-path": (
        {"configuration": Nested("limits.tokens", 100)},
        lambda a: a.configuration.get("limits", {}).get("tokens") == 100,
    ),
    "nested-float": (
        {"configuration": Nested("limits.tokens", 100.5)},
        lambda a: a.configuration.get("limits", {}).get("tokens") == 100.5,
    ),
    "combined": (
        {
            "llm_provider": In(["openai", "anthropic"]),
            "agent_name": Contains("a"),
            "updated_at": TimeRange(after=_at(0)),
            "status": "active",
        },
        lambda a: (
            a.llm_provider != "local"
            and "a" in a.agent_name
            and a.updated_at > _at(0)
            and a.status == "active"
        ),
    ),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("index", [None, "updated_at-index", "agent_uuid-index"])
async def test_each_filter_kind_lists_what_its_reference_admits_in_full_pages(
    store: Store, tenant: PartitionKey, case: str, index: str | None
) -> None:
    agents = await _agents(store, tenant)
    filters, admitted = CASES[case]
    expected = [a.agent_version_uuid for a in agents if admitted(a)]
    query = Query(index=index, filters=filters, limit=2)
    found = [a.agent_version_uuid for a in await all_pages(store, AGENTS, tenant, query)]
    if index == "agent_uuid-index":  # ordered by agent_uuid first
        found, expected = sorted(found), sorted(expected)
    assert found == expected
    assert await store.repository(AGENTS).count(tenant, query) == len(expected)


async def test_filters_combine_with_a_range_condition_and_descending_order(
    store: Store, tenant: PartitionKey
) -> None:
    agents = await _agents(store, tenant)
    query = Query(
        index="updated_at-index",
        descending=True,
        filters={"configuration": Nested("model", "claude"), "updated_at": TimeRange(_at(0))},
        limit=1,
    )
    found = await all_pages(store, AGENTS, tenant, query)
    expected = [
        a for a in agents if a.configuration.get("model") == "claude" and a.updated_at > T0
    ]
    assert found == expected[::-1]


async def test_a_map_holding_a_nul_character_does_not_break_nested_filters(
    store: Store, tenant: PartitionKey
) -> None:
    plain = sample(AGENTS, tenant, configuration={"model": "m"})
    with_nul = sample(AGENTS, tenant, configuration={"model": "x", "note": "a\x00b"})
    await store.repository(AGENTS).put_many([plain, with_nul])
    page = await store.repository(AGENTS).query(
        tenant, Query(filters={"configuration": Nested("model", "m")})
    )
    assert page.items == [plain]


async def test_a_cursor_is_bound_to_its_filters(store: Store, tenant: PartitionKey) -> None:
    await _agents(store, tenant)
    repo = store.repository(AGENTS)
    filters: dict[str, Any] = {
        "llm_provider": In(["openai", "local"]),
        "agent_name": Contains("a"),
        "updated_at": TimeRange(before=_at(100)),
    }
    query = Query(filters=filters, limit=2)
    cursor = (await repo.query(tenant, query)).next_cursor
    assert cursor is not None
    same = {**filters, "llm_provider": In(("openai", "local"))}
    assert (await repo.query(tenant, Query(filters=same, limit=2, cursor=cursor))).items
    for changed in (
        {**filters, "llm_provider": In(["openai"])},
        {**filters, "llm_provider": "openai"},
        {**filters, "agent_name": Contains("A")},
        {**filters, "updated_at": TimeRange(after=_at(0), before=_at(100))},
        {**filters, "configuration": Nested("model", "claude")},
        {k: v for k, v in filters.items() if k != "agent_name"},
    ):
        with pytest.raises(InvalidCursor):
            await repo.query(tenant, Query(filters=changed, limit=2, cursor=cursor))


NAIVE = datetime(2025, 1, 1)  # no tzinfo: the malformed value under test
BAD_FILTERS: dict[str, tuple[str, Any]] = {
    "unknown-attribute": ("no_such", Contains("x")),
    "contains-on-a-number": ("num_of_messages", Contains("1")),
    "empty-substring": ("agent_name", Contains("")),
    "time-range-on-text": ("agent_name", TimeRange(after=T0)),
    "time-range-without-bounds": ("updated_at", TimeRange()),
    "between-on-text": ("agent_name", Between(1, 2)),
    "all-of-nothing": ("agent_name", All([])),
    "all-with-a-bad-part": ("agent_name", All([Contains("a"), Between(1, 2)])),
    "between-without-bounds": ("num_of_messages", Between()),
    "between-bool-bound": ("num_of_messages", Between(low=True)),
    "between-infinite": ("num_of_messages", Between(high=float("inf"))),
    "naive-bound": ("updated_at", TimeRange(before=NAIVE)),
    "nested-on-text": ("agent_name", Nested("model", "x")),
    "nested-bad-path": ("configuration", Nested("a..b", "x")),
    "nested-empty-path": ("configuration", Nested((), "x")),
    # None is not a value a Nested filter takes: passed on purpose.
    "nested-none": ("configuration", Nested("model", None)),  # type: ignore[arg-type]
    "nested-nan": ("configuration", Nested("model", float("nan"))),
    "nested-in-list-number": ("configuration", Nested("tags", 1, in_list=True)),
    "in-wrong-type": ("llm_provider", In(["openai", 3])),
    "in-bool-for-number": ("num_of_messages", In([True])),
    "in-a-string": ("llm_provider", In("openai")),
    "in-on-a-map": ("configuration", In([{}])),
    "in-too-long": ("llm_provider", In([str(i) for i in range(MAX_IN_VALUES + 1)])),
}


@pytest.mark.parametrize("case", BAD_FILTERS)
async def test_a_malformed_filter_is_refused_naming_it(
    store: Store, tenant: PartitionKey, case: str
) -> None:
    name, condition = BAD_FILTERS[case]
    repo = store.repository(AGENTS)
    for call in (repo.query, repo.count):
        with pytest.raises(ValidationError) as caught:
            await call(tenant, Query(filters={name: condition}))
        assert caught.value.field == f"filters.{name}"


async def test_an_in_list_of_the_maximum_length_is_accepted(
    store: Store, tenant: PartitionKey
) -> None:
    await _agents(store, tenant)
    padding = [f"x{i}" for i in range(MAX_IN_VALUES - 1)]
    repo = store.repository(AGENTS)
    on_key = Query(filters={"agent_version_uuid": In(["v0001", *padding])})
    assert await repo.count(tenant, on_key) == 1
    on_other = Query(filters={"llm_provider": In([*padding, "local"])})
    assert await repo.count(tenant, on_other) == COUNT // len(PROVIDERS)
