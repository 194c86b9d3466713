"""A service's keyword filters as the domain's query: a :class:`Choice` keyword picks the
attribute other keywords read (runs' ``token_type`` with ``min_tokens`` / ``max_tokens``),
and every refusal names the keyword the caller wrote."""

from __future__ import annotations

from typing import Any

import pytest

from aace.application.services import RunService
from aace.application.services.listing import listing_query
from aace.domain.entities import RUNS
from aace.domain.errors import ValidationError
from aace.domain.filters import Between

LISTING = RunService.spec.listing


@pytest.mark.parametrize(
    ("keywords", "filters"),
    [
        ({}, {}),
        ({"min_tokens": 5}, {"total_tokens": Between(low=5)}),
        ({"token_type": "prompt", "max_tokens": 9}, {"prompt_tokens": Between(high=9)}),
        (
            {"token_type": "completion", "min_tokens": 1, "max_tokens": 2},
            {"completion_tokens": Between(1, 2)},
        ),
        ({"token_type": None, "max_tokens": None}, {}),
        ({"max_tokens": 3, "token_type": "prompt"}, {"prompt_tokens": Between(high=3)}),
    ],
)
def test_token_type_picks_the_count_min_and_max_tokens_bound(
    keywords: dict[str, Any], filters: dict[str, Any]
) -> None:
    query = listing_query(RUNS, LISTING, {"thread_uuid": "t", **keywords})
    assert query.parent == "t"
    assert dict(query.filters) == filters


@pytest.mark.parametrize(
    ("keywords", "field"),
    [
        ({"token_type": "cached"}, "token_type"),
        ({"token_type": 3, "min_tokens": 1}, "token_type"),
        ({"min_tokens": "5"}, "min_tokens"),
        ({"token_type": "prompt", "max_tokens": True}, "max_tokens"),
        ({"min_tokens": 1, "max_tokens": 10**40}, "max_tokens"),
        ({"min_total_tokens": float("nan")}, "min_total_tokens"),
        ({"thread_uuid": "a\x00b"}, "thread_uuid"),
        ({"tokens": 1}, "tokens"),
    ],
)
def test_a_refusal_names_the_keyword_the_caller_wrote(
    keywords: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        listing_query(RUNS, LISTING, {"thread_uuid": "t", **keywords})
    assert caught.value.field == field
