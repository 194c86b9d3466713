"""The docs' facts against the code: counts, the error tree, the services and the domain's
modules are marked in the pages and rewritten from the code (``tests/docs_facts.py``); these
tests fail when a page drifts, and when a count is written where nothing checks it."""

from __future__ import annotations

import pkgutil
import re
import typing

import attrs
import pytest

import aace.application
import aace.domain
from aace import Settings
from aace.domain.errors import AaceError
from aace.domain.filters import Filter
from tests.docs_facts import (
    BLOCK,
    INLINE,
    PAGES,
    QUOTED,
    REGENERATE,
    ROOT,
    blocks,
    drifted,
    error_classes,
    inline_facts,
    render,
    service_roster,
)

ARCHITECTURE = ROOT / "docs" / "architecture.md"
BEHAVIOUR = ROOT / "docs" / "behaviour.md"
SERVICES = ROOT / "docs" / "services.md"

#: A number of tables, services, modules or revisions written in prose: a fact that must be
#: marked (or quoted in a checked message) so that it is checked.
COUNT = re.compile(
    r"\b(?:\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|[a-z]+teen|"
    r"twenty[-\w]*)\s+(?:(?!(?:for|of|at|in|on|per|to|by)\b)[\w`-]+\s+){0,2}?"
    r"(?:tables|services|modules|errors|revisions)\b",
    re.I,
)


def _section(page_text: str, name: str) -> str:
    found = [m["value"] for m in BLOCK.finditer(page_text) if m["name"] == name]
    assert len(found) == 1, f"one `<!-- facts: {name} -->` section expected, found {len(found)}"
    return found[0]


def test_every_marked_part_of_the_docs_agrees_with_the_code() -> None:
    assert not drifted(), f"the docs' facts drifted from the code: run `{REGENERATE}`"


def test_every_marker_names_a_fact_and_every_fact_is_used() -> None:
    text = "\n".join(page.read_text() for page in PAGES)
    inline = {m["name"] for m in INLINE.finditer(text)}
    block = {m["name"] for m in BLOCK.finditer(text)}
    quoted = {name for pattern, name in QUOTED if pattern.search(text)}
    assert inline | quoted == set(inline_facts())
    assert block == set(blocks())
    render(text)  # an unknown name raises, naming the known ones


def test_every_count_in_the_docs_is_a_checked_fact() -> None:
    unchecked = []
    for page in PAGES:
        text = page.read_text()
        checked = [m.span() for m in INLINE.finditer(text)] + [
            m.span() for m in BLOCK.finditer(text)
        ]
        checked += [m.span() for pattern, _ in QUOTED for m in pattern.finditer(text)]
        for match in COUNT.finditer(text):
            if not any(a <= match.start() < b for a, b in checked):
                unchecked.append(f"{page.relative_to(ROOT)}: {match.group(0)!r}")
    assert not unchecked, "mark these as facts (tests/docs_facts.py): " + "; ".join(unchecked)


def test_the_error_tree_in_the_docs_is_the_code_s() -> None:
    drawn = re.findall(r"^[│├└─ ]*([A-Z]\w+)", _section(ARCHITECTURE.read_text(), "errors"), re.M)
    assert drawn == [cls.__name__ for cls in error_classes()]


def test_the_behaviour_errors_table_names_each_error_and_its_parents() -> None:
    text = BEHAVIOUR.read_text()
    table = text[text.index("| error | parent | when |") :]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", table, re.M)
    documented = {name: set(re.findall(r"`(\w+)`", parents)) for name, parents in rows}
    expected = {
        cls.__name__: {base.__name__ for base in cls.__bases__}
        for cls in error_classes()
        if cls is not AaceError
    }
    assert documented == expected


@pytest.mark.parametrize("package", ["domain", "application"])
def test_the_module_tables_list_every_module(package: str) -> None:
    table = _section(ARCHITECTURE.read_text(), f"{package}-modules")
    listed = re.findall(rf"^\| `{package}/(\w+)(?:\.py|/)` \|", table, re.M)
    folder = aace.domain.__path__ if package == "domain" else aace.application.__path__
    assert sorted(listed) == sorted(info.name for info in pkgutil.iter_modules(folder))


def test_the_services_in_the_docs_are_the_roster() -> None:
    _, services = service_roster()
    table = _section(ARCHITECTURE.read_text(), "services")
    assert re.findall(r"^\| `app\.(\w+)` \|", table, re.M) == list(services)
    text = SERVICES.read_text()
    introduction = text[: text.index("## ")]
    assert set(re.findall(r"`(\w+)`", introduction)) - {"Aace"} == set(services)
    filters = text[text.index("| service | filters | default order |") :].split("\n\n")[0]
    assert set(re.findall(r"^\| (\w+) \|", filters, re.M)) - {"service"} <= set(services)


@pytest.mark.parametrize("name", sorted(inline_facts()))
def test_each_fact_is_computed_from_the_code(name: str) -> None:
    assert inline_facts()[name]().strip()


def test_the_settings_table_lists_every_setting() -> None:
    text = (ROOT / "docs" / "embedding.md").read_text()
    table = text[text.index("| setting | environment | meaning |") :].split("\n\n")[0]
    listed = re.findall(r"^\| `(\w+)` \|", table, re.M)
    assert sorted(listed) == sorted(field.name for field in attrs.fields(Settings))


def test_the_logging_page_names_every_logger_of_the_package() -> None:
    found = set()
    for folder in ("adapters", "application", "domain"):
        for path in (ROOT / folder).rglob("*.py"):
            for name in re.findall(
                r"logging\.getLogger\((__name__|\"[\w.]+\")\)", path.read_text()
            ):
                module = "aace." + ".".join(path.relative_to(ROOT).with_suffix("").parts)
                found.add(module if name == "__name__" else name.strip('"'))
    text = (ROOT / "docs" / "logging.md").read_text()
    section = text[text.index("## The package's own loggers") : text.index("## What the drivers")]
    assert set(re.findall(r"^- `(aace[\w.]*)`", section, re.M)) == found


def test_the_behaviour_page_names_every_filter_kind() -> None:
    text = BEHAVIOUR.read_text()
    section = text[text.index("- Filters are data") : text.index("Each adapter runs them")]
    kinds = {kind.__name__ for kind in typing.get_args(Filter)}
    assert set(re.findall(r"`(\w+)\(", section)) == kinds
