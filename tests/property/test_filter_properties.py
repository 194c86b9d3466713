"""Every adapter's filtered listing (pages and count) agrees with a plain-Python model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.entities import AGENTS, Agent
from aace.domain.filters import Contains, In, Nested, TimeRange
from aace.domain.ports import Store
from aace.domain.query import Query
from aace.domain.tenancy import PartitionKey
from tests.contract.paging import all_pages
from tests.factories import sample

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=UTC)
PROVIDERS = ("openai", "anthropic", "local")
#: Few letters, both cases and the SQL wildcards, so substrings often hit and often miss.
names = st.text(alphabet="aAb%_", min_size=1, max_size=4)
MODEL_VALUES: list[str | int | float | bool] = ["m", "M", "1", 1, 1.0, 2, True, False]
model_values = st.sampled_from(MODEL_VALUES)
moments = st.integers(min_value=0, max_value=5).map(lambda m: T0 + timedelta(minutes=m))
rows = st.lists(
    st.tuples(
        names,
        st.sampled_from(PROVIDERS),
        moments,
        st.one_of(st.none(), model_values),
        st.sampled_from(["active", "inactive"]),
    ),
    max_size=8,
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "llm_provider": st.lists(st.sampled_from(PROVIDERS), max_size=3).map(In),
        "agent_name": names.map(Contains),
        "updated_at": st.builds(
            TimeRange, st.one_of(st.none(), moments), st.one_of(st.none(), moments)
        ).filter(lambda r: r.after is not None or r.before is not None),
        "configuration": model_values.map(lambda v: Nested("model", v)),
        "status": st.sampled_from(["active", "inactive"]),
    },
)


def _same_json(stored: Any, wanted: Any) -> bool:
    """JSON equality: strings, numbers and bools never equal one another."""

    def kind(value: Any) -> type:
        return (
            bool if isinstance(value, bool) else float if isinstance(value, int) else type(value)
        )

    return kind(stored) is kind(wanted) and stored == wanted


def _model(wanted: dict[str, Any]) -> Callable[[Agent], bool]:
    """The filters' meaning, written out in plain Python."""

    def admits(agent: Agent) -> bool:
        checks = {
            "llm_provider": lambda f: agent.llm_provider in f.values,
            "agent_name": lambda f: f.text in agent.agent_name,
            "updated_at": lambda f: (
                (f.after is None or agent.updated_at > f.after)
                and (f.before is None or agent.updated_at < f.before)
            ),
            "configuration": lambda f: (
                "model" in agent.configuration
                and _same_json(agent.configuration["model"], f.value)
            ),
            "status": lambda f: agent.status == f,
        }
        return all(checks[name](f) for name, f in wanted.items())

    return admits


@given(
    rows=rows,
    wanted=filters,
    index=st.sampled_from([None, "updated_at-index"]),
    descending=st.booleans(),
    limit=st.integers(min_value=1, max_value=4),
)
async def test_a_filtered_listing_holds_what_the_model_admits(
    store: Store,
    new_tenant: Callable[[], PartitionKey],
    rows: list[tuple[str, str, datetime, Any, str]],
    wanted: dict[str, Any],
    index: str | None,
    descending: bool,
    limit: int,
) -> None:
    tenant = new_tenant()
    agents = [
        sample(
            AGENTS,
            tenant,
            agent_version_uuid=f"v{number}",
            agent_name=name,
            llm_provider=provider,
            updated_at=moment,
            configuration={} if model is None else {"model": model},
            status=status,
        )
        for number, (name, provider, moment, model, status) in enumerate(rows)
    ]
    await store.repository(AGENTS).put_many(agents)
    query = Query(index=index, descending=descending, limit=limit, filters=wanted)
    found = await all_pages(store, AGENTS, tenant, query)
    order: Callable[[Agent], Any] = (
        (lambda a: a.agent_version_uuid) if index is None else (lambda a: a.updated_at)
    )
    expected = sorted(filter(_model(wanted), agents), key=order, reverse=descending)
    assert [order(a) for a in found] == [order(a) for a in expected]
    assert sorted(a.agent_version_uuid for a in found) == sorted(
        a.agent_version_uuid for a in expected
    )
    assert await store.repository(AGENTS).count(tenant, query) == len(expected)
