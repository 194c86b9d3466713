"""Every public entry point of every service, found from the services' own annotations, with
valid placeholder arguments, so tests can spoil one argument at a time (new services are
covered as soon as they are listed in ``SERVICES``)."""

from __future__ import annotations

import inspect
import typing
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from aace.application.container import SERVICES
from aace.application.services import arguments
from aace.domain.ports import Store
from aace.domain.tenancy import TenantContext

__all__ = ["EntryPoint", "build_service", "entry_points"]

#: How a placeholder for each kind of checked argument looks (context is filled in later).
_PLACEHOLDERS: dict[Any, Callable[[], Any]] = {
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

    @property
    def name(self) -> str:
        return f"{self.service}.{self.method}"

    def arguments_for(self, context: TenantContext, **spoiled: Any) -> dict[str, Any]:
        """Valid placeholders (``context`` for the tenant), with ``spoiled`` replacing some."""
        values: dict[str, Any] = {}
        for name, hint in self.parameters.items():
            values[name] = context if hint is TenantContext else _PLACEHOLDERS[hint]()
        values.update(spoiled)
        return values

    async def call(self, service: Any, values: dict[str, Any]) -> Any:
        positional = [v for k, v in values.items() if k not in self.keyword_only]
        keywords = {k: v for k, v in values.items() if k in self.keyword_only}
        return await getattr(service, self.method)(*positional, **keywords)

    def names_of(self, hint: Any) -> list[str]:
        return [name for name, h in self.parameters.items() if h == hint]


def entry_points() -> list[EntryPoint]:
    found = []
    for service_name, service_type in SERVICES.items():
        for method_name, method in inspect.getmembers(service_type, inspect.iscoroutinefunction):
            if method_name.startswith("_"):
                continue
            hints = typing.get_type_hints(method, include_extras=True)
            signature = inspect.signature(method)
            parameters = {}
            keyword_only = set()
            for name, parameter in list(signature.parameters.items())[1:]:
                hint = hints[name]
                assert hint is TenantContext or hint in _PLACEHOLDERS, (
                    f"{service_name}.{method_name}: parameter {name} is not checked"
                )
                parameters[name] = hint
                if parameter.kind is parameter.KEYWORD_ONLY:
                    keyword_only.add(name)
            found.append(
                EntryPoint(service_name, method_name, parameters, frozenset(keyword_only))
            )
    return found


def build_service(name: str, store: Store) -> Any:
    return SERVICES[name](store)
