"""Hypothesis strategies for tenants, keys, JSON-like values and every entity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
from hypothesis import settings
from hypothesis import strategies as st

from aace.domain.entities import PERIODS, McpServer
from aace.domain.entities.base import VERSION_STATUSES
from aace.domain.schema import AttrKind, EntitySchema
from aace.domain.tenancy import SEPARATOR, PartitionKey

# Printable text without control characters (category Cc) or surrogates.
_TEXT_ALPHABET = st.characters(blacklist_categories=("Cc", "Cs"))

#: A valid tenant component: non-empty, no '#', no control characters, no outer whitespace.
components = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters=SEPARATOR),
    min_size=1,
    max_size=40,
).filter(lambda s: s == s.strip())

partition_keys = st.builds(PartitionKey, components, components)

#: Components breaking exactly one rule each.
invalid_components = st.one_of(
    st.just(""),
    st.tuples(components, components).map(lambda p: f"{p[0]}{SEPARATOR}{p[1]}"),
    st.tuples(components, st.characters(whitelist_categories=["Cc"])).map(lambda p: p[0] + p[1]),
    components.map(lambda s: f" {s}"),
    components.map(lambda s: f"{s}\t"),
)

ids = st.text(alphabet=_TEXT_ALPHABET, min_size=1, max_size=36).filter(lambda s: s == s.strip())
texts = st.text(alphabet=_TEXT_ALPHABET, max_size=60)
nonblank_texts = texts.filter(lambda s: bool(s.strip()))

datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    texts,
)
#: Map keys every backend stores: non-empty text (DynamoDB refuses empty attribute names).
map_keys = st.text(alphabet=_TEXT_ALPHABET, min_size=1, max_size=60)
json_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(map_keys, children, max_size=4)
    ),
    max_leaves=12,
)
json_maps = st.dictionaries(map_keys, json_values, max_size=5)
json_lists = st.lists(json_maps, max_size=3)


def _strategy_for(
    entity: type[Any], field: attrs.Attribute[Any], kind: AttrKind, nullable: bool
) -> st.SearchStrategy[Any]:
    name = field.name
    if name == "status" and entity.__name__ in {
        "Agent",
        "PromptTemplate",
        "FlowSnippet",
        "UsageLimit",
    }:
        return st.sampled_from(VERSION_STATUSES)
    if name == "period":  # usage metering's closed set
        return st.sampled_from(PERIODS)
    if entity is McpServer and name == "headers":
        return st.dictionaries(map_keys, texts, max_size=3)
    if name == "updated_by":
        return nonblank_texts
    base: st.SearchStrategy[Any]
    if kind is AttrKind.S:
        validator_name = getattr(field.validator, "__name__", "")
        base = ids if validator_name in {"_id", "_optional_id"} else nonblank_texts
        if name in {"status", "state"}:
            base = nonblank_texts
    elif kind is AttrKind.N:
        base = (
            st.integers(min_value=0, max_value=10**9)
            if field.type in ("int", int)
            else st.one_of(st.just(0.0), st.floats(min_value=1e-130, max_value=1e6))
        )
    elif kind is AttrKind.B:
        base = st.booleans()
    elif kind is AttrKind.DT:
        base = datetimes
    elif kind is AttrKind.M:
        base = json_maps
    elif kind is AttrKind.LS:
        base = st.lists(texts, max_size=4)
    else:
        base = json_lists
    return st.one_of(st.none(), base) if nullable else base


def entities(
    schema: EntitySchema[Any], tenant: st.SearchStrategy[PartitionKey] = partition_keys
) -> st.SearchStrategy[Any]:
    """Valid entities of ``schema`` covering every field (a platform record has no tenant)."""
    attributes = {a.name: a for a in schema.attributes}
    fields: dict[str, st.SearchStrategy[Any]] = (
        {} if schema.platform else {"partition_key": tenant}
    )
    for field in attrs.fields(schema.entity):
        if field.name == "partition_key":
            continue
        spec = attributes[field.name]
        fields[field.name] = _strategy_for(schema.entity, field, spec.kind, spec.nullable)
    return st.fixed_dictionaries(fields).map(lambda values: schema.entity(**values))


def later(moment: datetime) -> st.SearchStrategy[datetime]:
    return st.integers(min_value=1, max_value=10**9).map(
        lambda us: moment + timedelta(microseconds=us)
    )


def fewer_examples(divisor: int, at_least: int) -> int:
    """For a slow property: the loaded profile's ``max_examples`` divided by ``divisor``, and
    at least ``at_least`` (the thorough profile still runs hundreds)."""
    profile = settings.default
    assert profile is not None  # tests/conftest.py loads a profile before collecting tests
    return max(at_least, profile.max_examples // divisor)
