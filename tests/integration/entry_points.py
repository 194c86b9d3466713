"""Every public entry point of every service, found from the services' own annotations, with
valid placeholder arguments, so tests can spoil one argument at a time (new services are
covered as soon as they are in the roster, ``aace.application.roster``)."""

from __future__ import annotations

import inspect
import typing
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import attrs

from aace.application.container import wire_services
from aace.application.roster import service_types
from aace.application.services import arguments
from aace.application.settings import Settings
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext

__all__ = ["EntryPoint", "build_service", "entry_points"]

#: How a placeholder for each kind of checked argument looks (context is filled in later).
_PLACEHOLDERS: dict[Any, Callable[[], Any]] = {
    arguments.Keys: list,
    arguments.Flag: lambda: False,
    arguments.OptionalFlag: lambda: None,
    arguments.OptionalMoment: lambda: None,
    arguments.Window: lambda: timedelta(minutes=1),
    arguments.OptionalPageSize: lambda: None,
    arguments.Text: lambda: "text",
    arguments.Includes: lambda: None,
    arguments.Amount: lambda: 1,
    arguments.Periods: lambda: ("month",),
    arguments.JsonValue: lambda: {"log": "entry"},
    arguments.Id: lambda: str(uuid.uuid4()),
    arguments.OptionalId: lambda: None,
    arguments.Input: dict,
    arguments.Inputs: tuple,
    arguments.PageSize: lambda: 10,
    arguments.Cursor: lambda: None,
}


@attrs.frozen
class EntryPoint:
    """One public coroutine method and the kinds of its checked parameters."""

    service: str
    method: str
    #: parameter name -> its annotation (TenantContext or one of arguments' aliases)
    parameters: dict[str, Any]
    keyword_only: frozenset[str]
    #: The ``*args`` parameter (key parts, or key parts then changes) and its annotation.
    rest: tuple[str, Any] | None = None
    #: The names of the service's key parts (for ``rest``).
    key_fields: tuple[str, ...] = ()
    #: The ``**kwargs`` parameter's name, if any (keyword filters).
    varkw: str = ""

    @property
    def name(self) -> str:
        return f"{self.service}.{self.method}"

    @property
    def context_name(self) -> str | None:
        """The parameter taking the caller's context (``None``: a read that starts without a
        tenant, :data:`WITHOUT_CONTEXT`)."""
        names = [n for n, h in self.parameters.items() if h in (TenantContext, arguments.Actor)]
        return names[0] if names else None

    def arguments_for(self, context: TenantContext, **spoiled: Any) -> dict[str, Any]:
        """Valid placeholders (``context`` for the tenant), with ``spoiled`` replacing some;
        ``rest`` holds a tuple of key parts (and the changes, for an update)."""
        values: dict[str, Any] = {}
        for name, hint in self.parameters.items():
            if hint in (TenantContext, arguments.Actor):
                values[name] = context
            else:
                values[name] = _PLACEHOLDERS[hint]()
        if self.rest is not None:
            name, hint = self.rest
            parts = tuple(str(uuid.uuid4()) for _ in self.key_fields)
            values[name] = parts + (({},) if hint == arguments.KeyAndChanges else ())
        values.update(spoiled)
        return values

    async def call(self, service: Any, values: dict[str, Any], **filters: Any) -> Any:
        rest = None if self.rest is None else self.rest[0]
        positional = [v for k, v in values.items() if k not in self.keyword_only and k != rest]
        if rest is not None:
            positional.extend(values[rest])
        keywords = {k: v for k, v in values.items() if k in self.keyword_only}
        return await getattr(service, self.method)(*positional, **filters, **keywords)

    def names_of(self, hint: Any) -> list[str]:
        return [name for name, h in self.parameters.items() if h == hint]


#: The entry points that take no context: they find the tenant themselves (docs/embedding.md).
WITHOUT_CONTEXT = frozenset({"agents.resolve_public"})


def entry_points() -> list[EntryPoint]:
    found = []
    for service_name, service_type in service_types().items():
        for method_name, method in inspect.getmembers(service_type, inspect.iscoroutinefunction):
            if method_name.startswith("_"):
                continue
            hints = typing.get_type_hints(method, include_extras=True)
            signature = inspect.signature(method)
            parameters = {}
            keyword_only = set()
            rest = None
            varkw = ""
            for name, parameter in list(signature.parameters.items())[1:]:
                hint = hints.get(name)
                if parameter.kind is parameter.VAR_KEYWORD:
                    varkw = name  # filters: checked by the listing, by name
                    continue
                if parameter.kind is parameter.VAR_POSITIONAL:
                    assert hint in (arguments.KeyPart, arguments.KeyAndChanges), name
                    rest = (name, hint)
                    continue
                assert hint in (TenantContext, arguments.Actor) or hint in _PLACEHOLDERS, (
                    f"{service_name}.{method_name}: parameter {name} is not checked"
                )
                parameters[name] = hint
                if parameter.kind is parameter.KEYWORD_ONLY:
                    keyword_only.add(name)
            spec = getattr(service_type, "spec", None)
            key_fields = () if spec is None else spec.schema.key_fields
            found.append(
                EntryPoint(
                    service_name,
                    method_name,
                    parameters,
                    frozenset(keyword_only),
                    rest,
                    key_fields,
                    varkw,
                )
            )
    return found


def build_service(name: str, store: Store) -> Any:
    return wire_services(Settings(), store)[name]
