"""Malformed keyword filters of every ``list`` / ``count`` entry point: ``ValidationError``
naming the keyword the caller wrote, before any I/O (a store wrapper counts every repository
call and unit of work), on every adapter alike (issue: a lone surrogate in
``agent_name_contains`` was accepted by memory and DynamoDB and refused by SQL only after
the statement was sent, naming ``record``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from aace.application.container import wire_services
from aace.application.settings import Settings
from aace.domain.errors import ValidationError
from aace.domain.filters import FilterTarget, Nested
from aace.domain.ports import Health, Store
from aace.domain.records import MAX_ITEM_BYTES
from aace.domain.schema import AttrKind, EntitySchema
from aace.domain.tenancy import PartitionKey, TenantContext
from tests.integration.entry_points import EntryPoint, entry_points

pytestmark = pytest.mark.anyio


class CountingStore:
    """``store`` counting every call a service makes that may reach the backend: each
    repository method and each unit of work it opens."""

    def __init__(self, store: Store) -> None:
        self.inner = store
        self.adapter = store.adapter
        self.calls: list[str] = []

    def repository(self, schema: EntitySchema[Any]) -> Any:
        return _CountingRepository(self, self.inner.repository(schema), schema.name)

    def unit_of_work(self) -> Any:
        self.calls.append("unit_of_work")
        return self.inner.unit_of_work()

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def verify(self) -> None:
        await self.inner.verify()

    async def ping(self) -> Health:
        return await self.inner.ping()

    async def close(self) -> None:
        await self.inner.close()


class _CountingRepository:
    def __init__(self, store: CountingStore, inner: Any, name: str) -> None:
        self._store, self._inner, self._name = store, inner, name

    def __getattr__(self, attribute: str) -> Any:
        found = getattr(self._inner, attribute)
        if not callable(found):
            return found

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._store.calls.append(f"{self._name}.{attribute}")
            return found(*args, **kwargs)

        return counted


def _services(store: Store) -> tuple[CountingStore, dict[str, Any]]:
    counting = CountingStore(store)
    return counting, wire_services(Settings(), counting)


SURROGATE = "Bo\ud800t"
#: Values no keyword filter takes, whatever it filters: a lone surrogate (alone and in a
#: list), something that is not a value, a number of more than 38 digits, text larger than
#: any record.
MALFORMED: dict[str, Any] = {
    "lone-surrogate": SURROGATE,
    "lone-surrogate-in-a-list": [SURROGATE],
    "not-a-value": object(),
    "too-many-digits": 10**40,
    "larger-than-a-record": "x" * (MAX_ITEM_BYTES + 1),
}
NUL = "a\x00b"


def _keywords(service: Any) -> dict[str, tuple[str | None, Callable[[Any], Any]]]:
    """Every keyword of the service's listing: its attribute (``None`` for a choice) and
    what it makes of a value (as written with the default choice)."""
    listing = service.spec.listing
    known = listing.all_filters(service.spec.schema)
    found: dict[str, tuple[str | None, Callable[[Any], Any]]] = {
        name: (arg.attribute, arg.make) for name, arg in known.items()
    }
    for choice in listing.choices:
        found[choice.keyword] = (None, lambda value: value)
        for name in choice.stands_for:
            arg = known[choice.keyword_for(name, {})]
            found[name] = (arg.attribute, arg.make)
    return found


def _refuses_nul(service: Any, keyword: str) -> bool:
    """Whether the keyword compares text with a key attribute or inside a map (where
    backends refuse NUL)."""
    attribute, make = _keywords(service)[keyword]
    if attribute is None:
        return False
    target = FilterTarget.of(service.spec.schema, attribute)
    return isinstance(make("x"), Nested) or (target.keyed and target.kind is AttrKind.S)


def _filtered() -> list[tuple[EntryPoint, str]]:
    services = wire_services(Settings(), _NoStore())  # type: ignore[arg-type]  # a partial Store
    return [
        (entry, keyword)
        for entry in entry_points()
        if entry.varkw
        for keyword in _keywords(services[entry.service])
    ]


class _NoStore:
    """Enough of a store to build the services and read their listings (no I/O): not a
    whole ``Store``, hence the ignore where it is passed as one."""

    adapter = "none"

    def repository(self, schema: EntitySchema[Any]) -> Any:
        return None

    def unit_of_work(self) -> Any:
        raise AssertionError("no I/O here")


FILTERED = _filtered()


def test_every_filtered_entry_point_is_covered() -> None:
    assert {e.name for e, _ in FILTERED} >= {"agents.list", "agents.count", "runs.list"}
    assert ("runs.list", "min_tokens") in {(e.name, k) for e, k in FILTERED}


@pytest.mark.parametrize(
    ("entry", "keyword"), FILTERED, ids=[f"{e.name}-{k}" for e, k in FILTERED]
)
async def test_a_malformed_keyword_filter_is_refused_by_its_name_before_any_io(
    store: Store, tenant: PartitionKey, entry: EntryPoint, keyword: str
) -> None:
    counting, services = _services(store)
    service = services[entry.service]
    values = entry.arguments_for(TenantContext(tenant))
    bad = dict(MALFORMED)
    if _refuses_nul(service, keyword):
        bad["nul"] = NUL
    for case, value in bad.items():
        with pytest.raises(ValidationError) as caught:
            await entry.call(service, values, **{keyword: value})
        assert caught.value.field == keyword, case
        assert counting.calls == [], case


async def test_the_store_wrapper_counts_a_listing(store: Store, tenant: PartitionKey) -> None:
    counting, services = _services(store)
    await services["agents"].list(TenantContext(tenant), agent_name_contains="Bot")
    assert counting.calls == ["agents.query"]


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (
            lambda app, ctx: app["agents"].list(ctx, agent_name_contains="\ud800"),
            "agent_name_contains",
        ),
        (
            lambda app, ctx: app["agents"].count(ctx, agent_name_contains="a\ud800"),
            "agent_name_contains",
        ),
        (lambda app, ctx: app["agents"].versions(ctx, ""), "agent_uuid"),
        (lambda app, ctx: app["agents"].versions(ctx, stable_id=""), "stable_id"),
        (lambda app, ctx: app["agents"].active(ctx, "a\nb"), "agent_uuid"),
        (lambda app, ctx: app["prompt_templates"].versions(ctx, " x"), "prompt_uuid"),
        (lambda app, ctx: app["flow_snippets"].activate(ctx, ""), "flow_snippet_version_uuid"),
        (lambda app, ctx: app["agents"].new_version(ctx, "", {}), "agent_uuid"),
        (lambda app, ctx: app["runs"].list(ctx, thread_uuid="t", min_tokens="5"), "min_tokens"),
        (
            lambda app, ctx: app["runs"].count(ctx, thread_uuid="t", max_tokens=10**40),
            "max_tokens",
        ),
        (lambda app, ctx: app["runs"].list(ctx, thread_uuid="t", token_type="cost"), "token_type"),
        (lambda app, ctx: app["runs"].list(ctx, thread_uuid="a\x00b"), "thread_uuid"),
        (lambda app, ctx: app["runs"].list(ctx, thread_uuid=""), "thread_uuid"),
    ],
    ids=[
        "contains",
        "contains-count",
        "versions",
        "versions-by-keyword",
        "active",
        "prompt-versions",
        "activate",
        "new-version",
        "min-tokens",
        "max-tokens",
        "token-type",
        "parent-nul",
        "parent-empty",
    ],
)
async def test_errors_name_the_argument_the_caller_wrote(
    store: Store, tenant: PartitionKey, call: Any, field: str
) -> None:
    counting, services = _services(store)
    with pytest.raises(ValidationError) as caught:
        await call(services, TenantContext(tenant))
    assert caught.value.field == field
    assert counting.calls == []
