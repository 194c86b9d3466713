"""Every service entry point checks its arguments before any I/O, by their annotations.

A parameter annotated ``TenantContext``, :data:`Id`, :data:`OptionalId`, :data:`Input`,
:data:`Inputs`, :data:`PageSize` or :data:`Cursor` is checked when the method is called;
a bad value is ``ValidationError`` naming the argument as the caller wrote it (a keyword;
by position, the service's own name for a generic parameter: agents' ``stable_id`` is
``agent_uuid``) or the item inside it, so no ``TypeError``, ``AttributeError`` or driver
error escapes, and every adapter refuses alike.
Services declare this once with :func:`checked_entry_points` on the class.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar

from aace.domain.errors import ValidationError
from aace.domain.tenancy import PlatformContext, TenantContext
from aace.domain.values import check_id, check_json, check_text

__all__ = [
    "Actor",
    "Amount",
    "Cursor",
    "Id",
    "Input",
    "Inputs",
    "Flag",
    "KeyAndChanges",
    "KeyPart",
    "Keys",
    "OptionalFlag",
    "OptionalMoment",
    "OptionalPageSize",
    "Text",
    "Window",
    "OptionalId",
    "PageSize",
    "Periods",
    "check_input",
    "checked_entry_points",
]

C = TypeVar("C", bound=type)
Rule = Callable[[str, Any], None]


def _context(name: str, value: Any) -> None:
    if not isinstance(value, TenantContext):
        raise ValidationError(name, f"must be a TenantContext, got {type(value).__name__}")


def _actor(name: str, value: Any) -> None:
    if not isinstance(value, TenantContext | PlatformContext):
        raise ValidationError(
            name, f"must be a TenantContext or a PlatformContext, got {type(value).__name__}"
        )


def _keys(name: str, value: Any) -> None:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValidationError(name, f"must be a sequence of keys, got {type(value).__name__}")
    for index, key in enumerate(value):
        if not isinstance(key, str | tuple):
            raise ValidationError(
                f"{name}[{index}]", f"must be a string or a tuple, got {type(key).__name__}"
            )


def _id(name: str, value: Any) -> None:
    check_id(name, value)


def _optional_id(name: str, value: Any) -> None:
    if value is not None:
        check_id(name, value)


def check_input(name: str, value: Any) -> None:
    """A mapping of field names (strings of valid text) to values."""
    if not isinstance(value, Mapping):
        raise ValidationError(name, f"must be a mapping, got {type(value).__name__}")
    for key in value:
        if not isinstance(key, str):
            raise ValidationError(name, f"field names must be strings, got {type(key).__name__}")
        check_text(f"{name} (a field name)", key)


def _inputs(name: str, value: Any) -> None:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValidationError(name, f"must be a sequence of mappings, got {type(value).__name__}")
    for index, item in enumerate(value):
        check_input(f"{name}[{index}]", item)


def _page_size(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, f"must be an integer, got {type(value).__name__}")


def _cursor(name: str, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise ValidationError(name, f"must be a string or None, got {type(value).__name__}")


#: An identifier argument (key rules: non-empty, no control characters or outer spaces, ≤ 1 KB).
Id = Annotated[str, _id]
#: An optional identifier argument (``None``, or an :data:`Id`).
OptionalId = Annotated[str | None, _optional_id]
#: Caller input for one record: field names to values.
Input = Annotated[Mapping[str, Any], check_input]
#: Caller input for several records.
Inputs = Annotated[Sequence[Mapping[str, Any]], _inputs]
#: A page size (its range is checked by the listing).
PageSize = Annotated[int, _page_size]
#: A pagination cursor from an earlier page.
Cursor = Annotated[str | None, _cursor]


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise ValidationError(name, f"must be a bool, got {type(value).__name__}")


def _optional(rule: Rule) -> Rule:
    def check(name: str, value: Any) -> None:
        if value is not None:
            rule(name, value)

    return check


def _moment(name: str, value: Any) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(name, "must be a timezone-aware datetime")


def _window(name: str, value: Any) -> None:
    if not isinstance(value, timedelta) or value < timedelta(0):
        raise ValidationError(name, "must be a timedelta of zero or more")


def _text(name: str, value: Any) -> None:
    if not isinstance(value, str):
        raise ValidationError(name, f"must be text, got {type(value).__name__}")
    check_text(name, value)


#: A yes/no switch (``cascade=True``).
Flag = Annotated[bool, _flag]
#: An optional switch (``descending=None`` keeps the default order).
OptionalFlag = Annotated[bool | None, _optional(_flag)]
#: An optional point in time (aware datetime).
OptionalMoment = Annotated[datetime | None, _optional(_moment)]
#: A length of time (``reuse_within``, ``since``).
Window = Annotated[timedelta, _window]
#: An optional count of items (``None``: the default).
OptionalPageSize = Annotated[int | None, _optional(_page_size)]
#: Free text (an error to store).
Text = Annotated[str, _text]


def _json_value(name: str, value: Any) -> None:
    check_json(name, value)


#: Any JSON value (text, numbers, bools, ``None``, lists and maps of them).
JsonValue = Annotated[Any, _json_value]


def _includes(name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise ValidationError(
            name, f"must be a list of relation names, got {type(value).__name__}"
        )
    for index, item in enumerate(value):
        if not isinstance(item, str):
            raise ValidationError(f"{name}[{index}]", "must be a relation name")


#: Relations to resolve with the result (``include=["flow_snippet", "mcp_servers"]``).
Includes = Annotated[Sequence[str] | None, _includes]


def _amount(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(name, f"must be a whole number, got {type(value).__name__}")
    if value == 0 or abs(value) >= 10**15:
        raise ValidationError(name, "must be a whole number other than 0, under 10**15")


#: A usage amount: a whole number other than 0 (negative only where refunds are allowed).
Amount = Annotated[int, _amount]


def _periods(name: str, value: Any) -> None:
    from aace.domain.entities import PERIODS

    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or not value:
        raise ValidationError(name, "must be a non-empty list of periods")
    for item in value:
        if item not in PERIODS:
            raise ValidationError(name, f"holds {item!r}, not one of {', '.join(PERIODS)}")


#: Usage periods (``day``, ``month``, ``none``).
Periods = Annotated[Sequence[str], _periods]
#: Who calls: a tenant (reads anything of its own and the platform registries, writes its
#: own), or an operator's ``PlatformContext`` (the only writer of platform registries).
Actor = Annotated[TenantContext | PlatformContext, _actor]


def _key_part(name: str, value: Any) -> None:
    """Key parts are checked by the service against its key's field names (so an error
    names ``thread_uuid``, not a position); this only marks the parameter as checked."""


def _key_or_changes(name: str, value: Any) -> None:
    if not isinstance(value, str | Mapping):
        raise ValidationError(
            name,
            f"must be a key part (text) or the changes (a mapping), got {type(value).__name__}",
        )
    if isinstance(value, Mapping):
        check_input(name, value)


#: One part of a record's key, passed positionally (``*key: KeyPart``); the service checks
#: the parts against its key, naming the key field at fault.
KeyPart = Annotated[str, _key_part]
#: ``update``'s positional arguments: the key parts, then the changes (a mapping).
KeyAndChanges = Annotated[str | Mapping[str, Any], _key_or_changes]
#: Keys of several records: key-part tuples, or plain strings for one-part keys.
Keys = Annotated[Sequence[str | tuple[str, ...]], _keys]


def _rule_of(hint: Any) -> Rule | None:
    if hint is TenantContext:
        return _context
    if typing.get_origin(hint) is Annotated:
        for extra in hint.__metadata__:
            if callable(extra):
                return typing.cast(Rule, extra)
    return None


def _positional_name(service: Any, parameter: str) -> str:
    """The name of an argument passed by position: the service's own name for a generic
    parameter where it declares one in ``_positional_names`` (agents' ``stable_id`` is
    ``agent_uuid``), so an error names what the caller meant; a keyword names itself."""
    names: Mapping[str, str] | None = getattr(service, "_positional_names", None)
    return parameter if names is None else names.get(parameter, parameter)


def _checked(method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` checking each annotated argument first (positional or keyword)."""
    hints = typing.get_type_hints(method, include_extras=True)
    checks: list[tuple[int | None, str, Rule, Any]] = []
    rest: tuple[int, str, Rule] | None = None  # a checked *args parameter
    for position, parameter in enumerate(inspect.signature(method).parameters.values()):
        rule = _rule_of(hints.get(parameter.name))
        if rule is None:
            continue
        if parameter.kind is parameter.VAR_POSITIONAL:
            rest = (position, parameter.name, rule)
            continue
        index = None if parameter.kind is parameter.KEYWORD_ONLY else position
        default = None if parameter.default is parameter.empty else parameter.default
        checks.append((index, parameter.name, rule, default))

    @functools.wraps(method)
    async def checked(*args: Any, **kwargs: Any) -> Any:
        for index, name, rule, default in checks:
            if index is not None and index < len(args):
                rule(_positional_name(args[0], name), args[index])
            else:
                rule(name, kwargs.get(name, default))
        if rest is not None:
            start, name, rule = rest
            for number, value in enumerate(args[start:]):
                rule(f"{name}[{number}]", value)
        telemetry = args[0]._aace_telemetry  # set at wiring (aace.application.telemetry)
        if telemetry is None:
            return await method(*args, **kwargs)
        return await telemetry.call(method, args, kwargs)

    return checked


def checked_entry_points(service: C) -> C:
    """Class decorator: every public coroutine method checks its annotated arguments, and
    runs in its span when the wiring gave the service telemetry."""
    if not hasattr(service, "_aace_telemetry"):
        service._aace_telemetry = None  # type: ignore[attr-defined]
    for name, member in list(vars(service).items()):
        if not name.startswith("_") and inspect.iscoroutinefunction(member):
            setattr(service, name, _checked(member))
    return service
