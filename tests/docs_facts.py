"""The docs' facts, computed from the code, and the marked parts of the docs they fill.

A count or a list that the docs state about the code is marked where it stands, so that it is
rewritten from the code instead of drifting:

* inline, ``<!-- fact: NAME -->28<!-- /fact -->`` (a number or a short list in a sentence);
* a whole block, ``<!-- facts: NAME -->`` … ``<!-- /facts -->`` on lines of their own (a
  table, the error tree);
* inside a code block, where a comment would show, the quoted messages of :data:`QUOTED`.

``python -m tests.docs_facts --write`` rewrites every marked part from the code;
``python -m tests.docs_facts`` lists the parts that drifted (exit 1), as
``tests/unit/test_docs_facts.py`` does.
"""

from __future__ import annotations

import ast
import functools
import inspect
import pkgutil
import re
import sys
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The pages whose facts run. The ADRs are records of decisions as they were taken: they
#: keep the figures of their day.
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
REGENERATE = "python -m tests.docs_facts --write"

INLINE = re.compile(r"<!-- fact: (?P<name>[\w-]+) -->(?P<value>.*?)<!-- /fact -->", re.S)
BLOCK = re.compile(
    r"^<!-- facts: (?P<name>[\w-]+) -->\n(?P<value>.*?)^<!-- /facts -->$", re.S | re.M
)


# -- the code's facts ------------------------------------------------------------------------


def service_roster() -> tuple[str, dict[str, type[Any]]]:
    """The module that lists the facade's services, and its services by attribute name
    (``aace.application.roster.service_types()``)."""
    from aace.application import roster

    return roster.__name__, dict(roster.service_types())


def _schemas() -> tuple[Any, ...]:
    from aace.domain.entities import ALL_SCHEMAS

    return tuple(ALL_SCHEMAS)


def sql_table_names() -> list[str]:
    """The tables the SQL adapter builds, with the default names."""
    from aace.adapters.sql.tables import build_metadata
    from aace.domain.schema import TableNames

    _, tables = build_metadata(TableNames())
    return sorted({table.name for table in tables.values()})


def dynamodb_table_names() -> list[str]:
    """The tables a DynamoDB store creates or checks (``initialize``, ``verify``); building
    the store and its models does no I/O."""
    from aace.adapters.config import StoreConfig
    from aace.adapters.dynamodb.factory import open_store
    from aace.domain.query import CursorCodec

    config = StoreConfig("dynamodb://127.0.0.1:8000?region=us-east-1", CursorCodec(b"s" * 32))
    store = open_store(config)
    return sorted({store.model(schema).Meta.table_name for schema in _schemas()})


def sql_head_revision() -> str:
    from aace.adapters.sql.migrate import shipped

    return shipped().head


def _names(names: list[str]) -> str:
    """``a``, ``b`` and ``c``, as the docs write a list of code names."""
    quoted = [f"`{name}`" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _own_tables() -> list[str]:
    from aace.domain.migration import LEGACY_TABLES

    deployed = {table.name for table in LEGACY_TABLES}
    return [schema.name for schema in _schemas() if schema.name not in deployed]


def _numeric_orders() -> list[str]:
    """Listings ordered by a number: indexes (or tables) whose range attribute is ``N``."""
    from aace.domain.schema import AttrKind

    found = []
    for schema in _schemas():
        kinds = {spec.name: spec.kind for spec in schema.attributes}
        if kinds[schema.range_key] is AttrKind.N:
            found.append(schema.name)
        found += [
            f"{schema.name}.{i.name}" for i in schema.indexes if kinds[i.range_key] is AttrKind.N
        ]
    return found


def _legacy(treatment: str, *, from_parent: bool = False) -> str:
    """The legacy tables the key migration treats so (``REKEY``, ``BACKFILL`` of records
    that carry a tenant or take their parent's, ``REGISTRY``)."""
    from aace.domain.migration import LEGACY_TABLES

    return _names(
        [
            table.name
            for table in LEGACY_TABLES
            if table.treatment.name == treatment and (table.parent is not None) == from_parent
        ]
    )


def _relations() -> str:
    """Every parent → children link, grouped by parent in the order of ``RELATIONS``."""
    from aace.domain.relations import RELATIONS

    children: dict[str, list[str]] = {}
    for relation in RELATIONS:
        children.setdefault(relation.parent.name, []).append(relation.child.name)
    return "; ".join(f"`{parent}` → {_names(kids)}" for parent, kids in children.items())


def _tables_at_once() -> str:
    from aace.application.migration.bulk import TABLES_AT_ONCE

    return str(TABLES_AT_ONCE)


def _import_contracts() -> int:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return len(tomllib.load(file)["tool"]["importlinter"]["contracts"])


def _nox_sessions() -> list[str]:
    tree = ast.parse((ROOT / "noxfile.py").read_text())
    return [
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(d) for d in node.decorator_list)
    ]


def inline_facts() -> dict[str, Callable[[], str]]:
    """Inline facts by name: each computes its text from the code when asked."""
    from aace.domain.entities import PLATFORM_SCHEMAS
    from aace.domain.migration import LEGACY_TABLES

    return {
        "entity-tables": lambda: str(len(_schemas())),
        "deployed-tables": lambda: str(len(LEGACY_TABLES)),
        "registry-tables": lambda: str(len(PLATFORM_SCHEMAS)),
        "own-tables": lambda: _names(_own_tables()),
        "legacy-rekeyed": lambda: _legacy("REKEY"),
        "legacy-backfilled": lambda: _legacy("BACKFILL"),
        "legacy-from-parent": lambda: _legacy("BACKFILL", from_parent=True),
        "legacy-registries": lambda: _legacy("REGISTRY"),
        "sql-tables": lambda: str(len(sql_table_names())),
        "dynamodb-tables": lambda: str(len(dynamodb_table_names())),
        "sql-head-revision": sql_head_revision,
        "services": lambda: str(len(service_roster()[1])),
        "tables-at-once": _tables_at_once,
        "service-roster": lambda: f"`{_path_of(service_roster()[0])}`",
        "relations": _relations,
        "numeric-orders": lambda: _names(_numeric_orders()),
        "import-contracts": lambda: str(_import_contracts()),
        "nox-sessions": lambda: _names(_nox_sessions()),
    }


#: Facts quoted inside code blocks (real messages), where no marker can stand: each group
#: of the pattern is the named fact.
QUOTED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d+) of (\d+) DynamoDB tables are missing"), "dynamodb-tables"),
    (re.compile(r"but this aace-core needs revision (\d+)"), "sql-head-revision"),
    (re.compile(r"this one knows revisions up to (\d+)"), "sql-head-revision"),
)


# -- the code's blocks -----------------------------------------------------------------------


def error_classes() -> list[type[BaseException]]:
    """``AaceError`` and every subclass defined beside it, parents first."""
    from aace.domain import errors

    def walk(cls: type[BaseException]) -> Iterator[type[BaseException]]:
        yield cls
        for sub in cls.__subclasses__():
            if sub.__module__ == errors.__name__:
                yield from walk(sub)

    return list(walk(errors.AaceError))


def _own_parameters(cls: type[BaseException]) -> str:
    """The constructor arguments a class adds to its parent's: ``(field, message)``."""

    def names(c: type[BaseException]) -> dict[str, inspect.Parameter]:
        return dict(inspect.signature(c.__init__).parameters)

    added = [p for n, p in names(cls).items() if n not in names(cls.__mro__[1]) and n != "self"]
    shown = [f"{p.name}=…" if p.kind is p.KEYWORD_ONLY else p.name for p in added]
    return f"({', '.join(shown)})" if shown and "__init__" in vars(cls) else ""


def error_tree() -> str:
    """The error tree as the docs draw it (a ``text`` block)."""
    from aace.domain.errors import AaceError

    lines = ["```text", "AaceError"]

    def draw(cls: type[BaseException], indent: str) -> None:
        subs = [s for s in cls.__subclasses__() if s.__module__ == AaceError.__module__]
        for n, sub in enumerate(subs):
            last = n == len(subs) - 1
            also = [b.__name__ for b in sub.__bases__ if not issubclass(b, AaceError)]
            tail = f", also a {', '.join(also)}" if also else ""
            lines.append(
                f"{indent}{'└── ' if last else '├── '}{sub.__name__}{_own_parameters(sub)}{tail}"
            )
            draw(sub, indent + ("    " if last else "│   "))

    draw(AaceError, "")
    return "\n".join([*lines, "```"])


def _summary(docstring: str | None) -> str:
    """A docstring's first paragraph as one line of markdown."""
    first = (docstring or "").strip().split("\n\n")[0]
    text = " ".join(first.split())
    text = re.sub(r":\w+:`~[\w.]*?(\w+)`", r"`\1`", text)  # ~a.b.C shows C
    text = re.sub(r":\w+:`([\w.]+)`", r"`\1`", text)
    return text.replace("``", "`").replace("|", "\\|")


def modules_of(package: str) -> list[tuple[str, str]]:
    """Every module and package right under ``package`` (``domain``) with its docstring's
    summary, read from the source, so a module that does not import yet is still listed."""
    folder = ROOT / package
    rows = []
    for info in pkgutil.iter_modules([str(folder)]):
        path = folder / info.name / "__init__.py" if info.ispkg else folder / f"{info.name}.py"
        shown = f"{package}/{info.name}/" if info.ispkg else f"{package}/{info.name}.py"
        rows.append((shown, _summary(ast.get_docstring(ast.parse(path.read_text())))))
    return sorted(rows)


def module_table(package: str) -> str:
    rows = [(f"`{m}`", s or "\N{EN DASH}") for m, s in modules_of(package)]
    return _table(("module", "what it holds"), rows)


def _path_of(module: str) -> str:
    """``aace.application.roster`` → ``application/roster.py`` (a package: its folder)."""
    path = module.removeprefix("aace.").replace(".", "/")
    return f"{path}/" if (ROOT / path).is_dir() else f"{path}.py"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def services_table() -> str:
    rows = []
    for attribute, cls in service_roster()[1].items():
        where = _path_of(cls.__module__)
        spec = getattr(cls, "spec", None)
        table = f"`{spec.schema.name}`" if spec is not None else "\N{EN DASH}"
        rows.append((f"`app.{attribute}`", f"`{cls.__name__}` (`{where}`)", table))
    return _table(("attribute", "service", "table"), rows)


def blocks() -> dict[str, Callable[[], str]]:
    """Generated blocks by name."""
    return {
        "errors": error_tree,
        "domain-modules": lambda: module_table("domain"),
        "application-modules": lambda: module_table("application"),
        "services": services_table,
    }


# -- reading and rewriting the pages ---------------------------------------------------------


def render(text: str, cache: dict[str, str] | None = None) -> str:
    """``text`` with every marked part rewritten from the code (unknown names fail)."""
    cache = {} if cache is None else cache
    known_inline, known_blocks = inline_facts(), blocks()

    def fact(name: str, table: Mapping[str, Callable[[], str]]) -> str:
        if name not in table:
            raise KeyError(f"no fact named {name!r} (known: {', '.join(sorted(table))})")
        key = f"{'block' if table is known_blocks else 'inline'}:{name}"
        if key not in cache:
            cache[key] = table[name]()
        return cache[key]

    text = BLOCK.sub(
        lambda m: f"<!-- facts: {m['name']} -->\n{fact(m['name'], known_blocks)}\n<!-- /facts -->",
        text,
    )
    text = INLINE.sub(
        lambda m: f"<!-- fact: {m['name']} -->{fact(m['name'], known_inline)}<!-- /fact -->",
        text,
    )
    for pattern, name in QUOTED:
        value = fact(name, known_inline)
        text = pattern.sub(functools.partial(_fill, value=value), text)
    return text


def _fill(match: re.Match[str], value: str) -> str:
    """``match``'s text with each of its groups replaced by ``value``."""
    whole, start = match.group(0), match.start()
    for group in reversed(range(1, (match.re.groups or 0) + 1)):
        a, b = match.start(group) - start, match.end(group) - start
        whole = whole[:a] + value + whole[b:]
    return whole


def drifted() -> list[str]:
    """The pages whose marked parts differ from what the code says now."""
    cache: dict[str, str] = {}
    return [
        str(p.relative_to(ROOT)) for p in PAGES if render(p.read_text(), cache) != p.read_text()
    ]


def write() -> list[str]:
    """Rewrite every page's marked parts from the code; the pages that changed."""
    cache: dict[str, str] = {}
    changed = []
    for page in PAGES:
        old = page.read_text()
        new = render(old, cache)
        if new != old:
            page.write_text(new)
            changed.append(str(page.relative_to(ROOT)))
    return changed


def main(argv: list[str]) -> int:
    if argv == ["--write"]:
        print("\n".join(f"rewrote {page}" for page in write()) or "nothing to rewrite")
        return 0
    pages = drifted()
    print("\n".join(f"{page} drifted from the code" for page in pages) or "the docs agree")
    return 1 if pages else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
