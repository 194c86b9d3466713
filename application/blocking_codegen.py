"""Writes ``aace/application/blocking_services.py``: the blocking twin's typed classes.

Every public coroutine method of every service in the roster gets a blocking method with
the same name, parameters, defaults, overloads and docstring, and the awaited type as its
return type, the services' type variables replaced by the service's entity. The generated
file names the blocking classes, argument aliases and entity types, never an async service
class; a test regenerates it in memory and fails when the file on disk differs.

    python -m aace.application.blocking_codegen          # rewrite the file
    python -m aace.application.blocking_codegen --check  # exit 1 if it is stale
"""

from __future__ import annotations

import inspect
import keyword
import re
import sys
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from aace.application.roster import service_names, service_types

__all__ = ["TARGET", "generate", "main"]

#: The generated module, beside this one.
TARGET = Path(__file__).with_name("blocking_services.py")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*")
_BUILTINS = {"None", "str", "int", "float", "bool", "bytes"}
_CONTAINERS = {"dict", "list", "tuple", "set", "frozenset", "type"}
_AWAITED = re.compile(r"^(?:Awaitable|Coroutine\[Any, Any,)\s*\[?(.*?)\]?$")


def blocking_name(service: type[Any]) -> str:
    """The blocking class of ``service``: ``Blocking`` before the service class's name."""
    return f"Blocking{service.__name__}"


def _type_arguments(service: type[Any]) -> dict[type[Any], dict[str, Any]]:
    """For each generic class ``service`` derives from, its type variables' values."""
    found: dict[type[Any], dict[str, Any]] = {}

    def visit(klass: type[Any], values: dict[str, Any]) -> None:
        for base in getattr(klass, "__orig_bases__", ()):
            origin = typing.get_origin(base) or base
            params = getattr(origin, "__parameters__", ())
            args = [values.get(a.__name__, a) if isinstance(a, typing.TypeVar) else a
                    for a in typing.get_args(base)]  # fmt: skip
            given = {p.__name__: a for p, a in zip(params, args, strict=False)}
            if isinstance(origin, type) and origin not in found:
                found[origin] = given
                visit(origin, given)

    found[service] = {}
    visit(service, {})
    return found


class _Imports:
    """The names a generated annotation uses, each imported from the module that exports it."""

    def __init__(self) -> None:
        self.by_module: dict[str, set[str]] = {}

    def add(self, name: str, value: Any, home: str) -> None:
        module = _exporter(name, value, home)
        self.by_module.setdefault(module, set()).add(name)

    def lines(self) -> Iterator[str]:
        for module in sorted(self.by_module):
            names = ", ".join(sorted(self.by_module[module]))
            yield f"from {module} import {names}"


def _exporter(name: str, value: Any, home: str) -> str:
    """The module a generated file imports ``name`` from: the deepest module that lists it
    in ``__all__`` (so strict re-export rules hold), else where it was defined."""
    candidates = [
        module_name
        for module_name, module in list(sys.modules.items())
        if module_name.startswith(("aace.domain.", "aace.application."))
        and name in getattr(module, "__all__", ())
        and getattr(module, name, None) is value
    ]
    if candidates:
        return max(candidates, key=lambda m: (m.count("."), m))
    defined = getattr(value, "__module__", None)
    if defined and getattr(sys.modules.get(defined), name, None) is value:
        return str(defined)
    assigned = re.compile(rf"^{re.escape(name)}\s*(?::[^=]*)?=", re.MULTILINE)
    for module_name, module in sorted(sys.modules.items()):  # an alias: where it is written
        source = getattr(module, "__file__", None)
        if (
            module_name.startswith("aace.")
            and getattr(module, name, None) is value
            and source
            and assigned.search(Path(source).read_text())
        ):
            return module_name
    return home


def _annotation(
    text: str, function: Callable[..., Any], variables: dict[str, Any], imports: _Imports
) -> str:
    """``text`` (a string annotation of ``function``) with type variables replaced by
    their values, recording the imports it needs."""
    namespace = function.__globals__

    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        head = word.split(".")[0]
        if word in variables:
            value = variables[word]
            if value is Any:
                imports.add("Any", Any, "typing")
                return "Any"
            imports.add(value.__name__, value, value.__module__)
            return str(value.__name__)
        if head in _CONTAINERS:  # a method may be named ``list``: say which one is meant
            return f"builtins.{word}"
        if head == "builtins":
            return word
        if head in _BUILTINS or keyword.iskeyword(head):
            return word
        if head not in namespace:
            raise LookupError(f"{function.__qualname__}: cannot resolve {word!r}")
        imports.add(head, namespace[head], function.__module__)
        return word

    return _IDENTIFIER.sub(replace, text)


def _signature(
    method: Callable[..., Any], variables: dict[str, Any], imports: _Imports
) -> tuple[str, str]:
    """The parameter list of a blocking method and the call forwarding them."""
    parameters = ["self"]
    forwarded = [repr(method.__name__)]
    star_seen = by_keyword = False
    for parameter in list(inspect.signature(method).parameters.values())[1:]:
        text = parameter.name
        if parameter.annotation is not parameter.empty:
            text += ": " + _annotation(str(parameter.annotation), method, variables, imports)
        kind = parameter.kind
        if parameter.default is not parameter.empty:
            if _is_literal(parameter.default):
                text += f" = {parameter.default!r}"
            else:  # the async method applies its own default (a timedelta, …)
                text += " = DEFAULT"
                by_keyword = True
        if kind is parameter.VAR_POSITIONAL:
            parameters.append("*" + text)
            forwarded.append("*" + parameter.name)
            star_seen = True
        elif kind is parameter.VAR_KEYWORD:
            parameters.append("**" + text)
            forwarded.append("**" + parameter.name)
        elif kind is parameter.KEYWORD_ONLY or by_keyword:
            if not star_seen:
                parameters.append("*")
                star_seen = True
            parameters.append(text)
            forwarded.append(f"{parameter.name}={parameter.name}")
        else:
            parameters.append(text)
            forwarded.append(parameter.name)
    return ", ".join(parameters), ", ".join(forwarded)


def _is_literal(value: Any) -> bool:
    """Whether ``value``'s repr is a literal that rebuilds it."""
    try:
        return bool(eval(repr(value), {"__builtins__": {}}) == value)
    except (NameError, SyntaxError, TypeError):
        return False


def _returns(method: Callable[..., Any], variables: dict[str, Any], imports: _Imports) -> str:
    annotation = inspect.signature(method).return_annotation
    if annotation is inspect.Signature.empty:
        raise ValueError(f"{method.__qualname__} has no return annotation")
    return _annotation(str(annotation), method, variables, imports)


def _docstring(service: type[Any], name: str, indent: str) -> str:
    doc = inspect.getdoc(getattr(service, name)) or "(undocumented)"
    if '"""' in doc or "\\" in doc:
        raise ValueError(f"{service.__name__}.{name}: its docstring needs escaping")
    lines = doc.splitlines() or [""]
    body = "\n".join((indent + line) if line else "" for line in lines[1:])
    return f'{indent}"""{lines[0]}' + (f"\n{body}\n{indent}" if body else "") + '"""'


def _methods(service: type[Any]) -> Iterator[tuple[str, Callable[..., Any]]]:
    for name, member in inspect.getmembers(service, inspect.iscoroutinefunction):
        if not name.startswith("_"):
            yield name, inspect.unwrap(member)


def _defining_class(service: type[Any], name: str) -> type[Any]:
    return next(klass for klass in service.__mro__ if name in vars(klass))


def _class_source(service: type[Any], imports: _Imports) -> list[str]:
    arguments = _type_arguments(service)
    lines = [
        "",
        "",
        f"class {blocking_name(service)}(Blocking):",
        f'    """The blocking counterpart of ``app.{_attribute(service)}``."""',
    ]
    for name, method in _methods(service):
        variables = arguments.get(_defining_class(service, name), {})
        for overload in typing.get_overloads(method):
            params, _ = _signature(overload, variables, imports)
            returns = _returns(overload, variables, imports)
            lines += ["", "    @overload", f"    def {name}({params}) -> {returns}: ..."]
        params, call = _signature(method, variables, imports)
        returns = _returns(method, variables, imports)
        lines += [
            "",
            f"    def {name}({params}) -> {returns}:",
            _docstring(service, name, "        "),
            f"        result: {returns} = self._run({call})",
            "        return result",
        ]
    return lines


def _attribute(service: type[Any]) -> str:
    return next(name for name, kind in service_types().items() if kind is service)


def generate() -> str:
    """The text of the generated module, from the roster as it is now."""
    imports = _Imports()
    imports.add("overload", typing.overload, "typing")
    classes: list[str] = []
    for service in service_types().values():
        classes += _class_source(service, imports)
    roster = [f"    {name}: {blocking_name(service_types()[name])}" for name in service_names()]
    table = [f"    {name!r}: {blocking_name(service_types()[name])}," for name in service_names()]
    header = [
        '"""The blocking twin\'s typed classes: GENERATED by aace.application.blocking_codegen,',
        'do not edit (``python -m aace.application.blocking_codegen`` rewrites it)."""',
        "",
        "# ruff: noqa: E501",
        "from __future__ import annotations",
        "",
        "import builtins",
        *imports.lines(),
        "from aace.application.blocking_base import DEFAULT, Blocking",
    ]
    footer = [
        "",
        "",
        "class BlockingServices:",
        '    """One blocking service per attribute of the roster."""',
        "",
        *roster,
        "",
        "",
        "#: The blocking class of each roster attribute.",
        "BLOCKING_CLASSES: dict[str, type[Blocking]] = {",
        *table,
        "}",
    ]
    return "\n".join([*header, *classes, *footer]) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the generated module, or with ``--check`` say whether it is stale."""
    text = generate()
    if "--check" in (argv if argv is not None else sys.argv[1:]):
        stale = not TARGET.exists() or TARGET.read_text() != text
        print(f"{TARGET.name} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    TARGET.write_text(text)
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
