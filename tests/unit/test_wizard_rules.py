"""Wizard rules, pure: normalised list items, inline elements, a group's members."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aace.domain.errors import ValidationError
from aace.domain.wizards import (
    WIZARD_RULES,
    check_group_input,
    departed,
    inline_element,
    normalise,
    with_element,
    without_wizard,
)


def test_list_items_are_stored_in_their_normal_shape() -> None:
    data = {"wizard_elements": [{"element_uuid": "e", "extra": 1}], "title": "t"}
    assert normalise(data) == {
        "wizard_elements": [{"element_uuid": "e", "required": False, "placeholder": None}],
        "title": "t",
    }
    assert WIZARD_RULES.normalise(data) == normalise(data)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"wizard_attributes": "name"}, "wizard_attributes"),
        ({"wizard_attributes": [3]}, "wizard_attributes[0]"),
        ({"wizard_elements": [{}]}, "wizard_elements[0].element_uuid"),
    ],
)
def test_malformed_list_items_are_refused_by_name(data: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise(data)
    assert caught.value.field == field


def test_an_item_names_an_element_or_gives_one_inline() -> None:
    assert inline_element("w", {"element_uuid": "e"}) is None
    assert inline_element("w", {"element": {"attribute_name": "a"}}) == {"attribute_name": "a"}
    saved = with_element({"element": {"attribute_name": "a"}, "required": True}, "e1")
    assert saved == {"required": True, "element_uuid": "e1"}


@pytest.mark.parametrize(
    ("item", "field"),
    [("e", "w"), ({}, "w"), ({"element": ["a"]}, "w.element")],
)
def test_a_malformed_item_is_refused_by_name(item: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        inline_element("w", item)
    assert caught.value.field == field


def test_a_group_takes_its_members_from_its_wizards() -> None:
    check_group_input({"wizard_group_name": "g"})
    with pytest.raises(ValidationError) as caught:
        check_group_input({"wizard_uuids": []})
    assert caught.value.field == "group.wizard_uuids"


uuids = st.lists(st.sampled_from("abcdef"), unique=True, max_size=6)


@given(st.none() | uuids, uuids)
def test_departed_wizards_are_the_previous_not_kept(
    previous: list[str] | None, members: list[str]
) -> None:
    gone = departed(previous, members)
    assert gone == set(previous or []) - set(members)
    assert not gone & set(members)


@given(uuids, st.sampled_from("abcdef"))
def test_a_wizard_leaves_a_group_it_is_in(members: list[str], wizard: str) -> None:
    if wizard in members:
        assert without_wizard("g", members, wizard) == [m for m in members if m != wizard]
    else:
        with pytest.raises(ValidationError, match="is not in wizard group g"):
            without_wizard("g", members, wizard)
