"""A stateful test: random operations on a store and on a plain dict must agree."""

from __future__ import annotations

import asyncio
import tempfile
from typing import Any

import attrs
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from aace.adapters.config import StoreConfig
from aace.application.storage import build_store
from aace.domain.entities import AGENTS, RUNS
from aace.domain.errors import Conflict, NotFound
from aace.domain.ports import ABSENT, PRESENT, Store
from aace.domain.query import CursorCodec, Query
from aace.domain.schema import EntitySchema
from aace.domain.tenancy import PartitionKey
from tests.backends import TEST_SECRET
from tests.factories import sample
from tests.strategies import fewer_examples

TENANTS = (PartitionKey("ep", "a"), PartitionKey("ep", "b"))
THREADS = ("thread-1", "thread-2")
RANGE_KEYS = tuple(f"k{i}" for i in range(6))

Model = dict[tuple[str, PartitionKey, tuple[str, ...]], Any]


class StoreMachine(RuleBasedStateMachine):
    """Agents (hashed on the tenant) and runs (hashed on a thread) under two tenants."""

    url = "memory://"

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.store: Store = build_store(StoreConfig(self.store_url(), CursorCodec(TEST_SECRET)))
        self.run(self.store.initialize())
        self.model: Model = {}

    def store_url(self) -> str:
        return self.url

    def run(self, coroutine: Any) -> Any:
        return self.runner.run(coroutine)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.runner.close()

    @staticmethod
    def _entity(
        schema: EntitySchema[Any], tenant: PartitionKey, key: tuple[str, ...], name: str
    ) -> Any:
        if schema is AGENTS:
            return sample(AGENTS, tenant, agent_version_uuid=key[0], agent_name=name)
        return sample(RUNS, tenant, thread_uuid=key[0], run_uuid=key[1], run_id=name)

    @staticmethod
    def _key(schema: EntitySchema[Any], thread: str, range_key: str) -> tuple[str, ...]:
        return (range_key,) if schema is AGENTS else (thread, range_key)

    def _owner(
        self, schema: EntitySchema[Any], tenant: PartitionKey, key: tuple[str, ...]
    ) -> PartitionKey | None:
        """Who holds the stored item this key addresses (parent-hashed items are shared)."""
        if schema is AGENTS:
            return tenant if (schema.name, tenant, key) in self.model else None
        for who in TENANTS:
            if (schema.name, who, key) in self.model:
                return who
        return None

    @rule(
        schema=st.sampled_from([AGENTS, RUNS]),
        tenant=st.sampled_from(TENANTS),
        thread=st.sampled_from(THREADS),
        range_key=st.sampled_from(RANGE_KEYS),
        name=st.sampled_from(["x", "y", "z"]),
    )
    def create(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        thread: str,
        range_key: str,
        name: str,
    ) -> None:
        key = self._key(schema, thread, range_key)
        entity = self._entity(schema, tenant, key, name)
        try:
            self.run(self.store.repository(schema).put(entity, condition=ABSENT))
        except Conflict:
            assert self._owner(schema, tenant, key) is not None
        else:
            assert self._owner(schema, tenant, key) is None
            self.model[(schema.name, tenant, key)] = entity

    @rule(
        schema=st.sampled_from([AGENTS, RUNS]),
        tenant=st.sampled_from(TENANTS),
        thread=st.sampled_from(THREADS),
        range_key=st.sampled_from(RANGE_KEYS),
        name=st.sampled_from(["p", "q"]),
    )
    def update(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        thread: str,
        range_key: str,
        name: str,
    ) -> None:
        key = self._key(schema, thread, range_key)
        current = self.model.get((schema.name, tenant, key))
        entity = self._entity(schema, tenant, key, name)
        if current is not None:
            entity = attrs.evolve(entity, created_at=current.created_at)
        try:
            self.run(self.store.repository(schema).put(entity, condition=PRESENT))
        except NotFound:
            assert current is None
        else:
            assert current is not None
            self.model[(schema.name, tenant, key)] = entity

    @rule(
        schema=st.sampled_from([AGENTS, RUNS]),
        tenant=st.sampled_from(TENANTS),
        thread=st.sampled_from(THREADS),
        range_key=st.sampled_from(RANGE_KEYS),
    )
    def delete(
        self, schema: EntitySchema[Any], tenant: PartitionKey, thread: str, range_key: str
    ) -> None:
        key = self._key(schema, thread, range_key)
        try:
            self.run(self.store.repository(schema).delete(tenant, key))
        except NotFound:
            assert (schema.name, tenant, key) not in self.model
        else:
            del self.model[(schema.name, tenant, key)]

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def read_back(self, data: st.DataObject) -> None:
        name, _, key = data.draw(st.sampled_from(sorted(self.model, key=repr)))
        schema: EntitySchema[Any] = AGENTS if name == AGENTS.name else RUNS
        for who in TENANTS:
            found = self.run(self.store.repository(schema).find(who, key))
            assert found == self.model.get((name, who, key))

    @invariant()
    def listings_match_the_model(self) -> None:
        for tenant in TENANTS:
            agents = self._list(AGENTS, tenant, Query(limit=2))
            expected = sorted(
                (e for (n, t, _), e in self.model.items() if n == AGENTS.name and t == tenant),
                key=lambda a: a.agent_version_uuid,
            )
            assert agents == expected
            for thread in THREADS:
                runs = self._list(RUNS, tenant, Query(parent=thread, limit=2, descending=True))
                expected_runs = sorted(
                    (
                        e
                        for (n, t, k), e in self.model.items()
                        if n == RUNS.name and t == tenant and k[0] == thread
                    ),
                    key=lambda r: r.run_uuid,
                    reverse=True,
                )
                assert runs == expected_runs

    def _list(self, schema: EntitySchema[Any], tenant: PartitionKey, query: Query) -> list[Any]:
        repo = self.store.repository(schema)
        page = self.run(repo.query(tenant, query))
        items = list(page.items)
        while page.next_cursor:
            page = self.run(repo.query(tenant, attrs.evolve(query, cursor=page.next_cursor)))
            items.extend(page.items)
        return items


class SqliteStoreMachine(StoreMachine):
    """The same machine on a fresh SQLite file per example."""

    def store_url(self) -> str:
        self.folder = tempfile.TemporaryDirectory()
        return f"sqlite:///{self.folder.name}/machine.db"

    def teardown(self) -> None:
        super().teardown()
        self.folder.cleanup()


TestMemoryStore = StoreMachine.TestCase
TestSqliteStore = SqliteStoreMachine.TestCase
# Each SQLite example migrates a new file: a third of the profile's examples keeps the default
# run quick; the thorough profile still runs hundreds.
TestSqliteStore.settings = settings(max_examples=fewer_examples(3, at_least=8))
