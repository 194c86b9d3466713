"""Random agent graphs completed in random orders, on every adapter: ``ready`` always holds
exactly the session agents not yet completed whose predecessors are all completed, and no
``in_degree`` goes below 0."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.ports import Store
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.integration.records import graph_session
from tests.strategies import fewer_examples

pytestmark = pytest.mark.anyio


@st.composite
def graphs(draw: st.DrawFn) -> dict[str, list[str]]:
    """A DAG: each agent's predecessors are drawn from the agents before it."""
    size = draw(st.integers(min_value=1, max_value=6))
    names = [f"g{i}" for i in range(size)]
    return {
        name: sorted(draw(st.sets(st.sampled_from(names[:i]))) if i else [])
        for i, name in enumerate(names)
    }


@settings(max_examples=fewer_examples(3, at_least=6), deadline=None)
@given(graph=graphs(), data=st.data())
async def test_ready_is_exactly_the_agents_whose_predecessors_are_done(
    store: Store, graph: dict[str, list[str]], data: st.DataObject
) -> None:
    app: Any = SimpleNamespace(**wire_services(Settings(), store))
    context = TenantContext(PartitionKey("ep-graphs", uuid.uuid4().hex[:12]))
    c, s = await graph_session(app, context, graph)
    agents = {a.agent_uuid: a for a in await app.session_agents.start(context, c, s)}
    done: set[str] = set()
    while len(done) < len(graph):
        ready = await app.session_agents.ready(context, s)
        expected = {a for a, p in graph.items() if a not in done and set(p) <= done}
        assert {a.agent_uuid for a in ready} == expected
        chosen = data.draw(st.sampled_from(sorted(set(graph) - done)))  # any order at all
        await app.session_agents.complete(context, s, agents[chosen].session_agent_uuid, "out")
        done.add(chosen)
        listed = (await app.session_agents.list(context, session_uuid=s)).items
        assert all(a.in_degree >= 0 for a in listed)
    assert await app.session_agents.ready(context, s) == []
