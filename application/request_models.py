"""Request models per service, generated from the entity schemas (pydantic; needs it
installed): ``Create`` and ``Update``, strict, ``extra="forbid"``, for a web framework's
request bodies and its OpenAPI document.

A model's fields are what a caller may give: the entity's fields less the tenant, the audit
fields, the service's managed fields and the keys the package generates (``Update``: less
every key, all optional). Each field's rules are the domain's: a validator calls
:func:`aace.domain.records.check_field` (the entity's own validator), so a rule is written
once; the services check the whole record again when they build it. ``to_input(model)``
is the service's input mapping (the fields given, by their snake_case names). Datetime
fields take ISO 8601 text (JSON has no other way to write one); every other field is strict.
"""

from __future__ import annotations

import functools
import typing
from datetime import datetime
from typing import Annotated, Any

import attrs
import pydantic
from pydantic_core import PydanticCustomError

from aace.application.roster import service_types
from aace.application.services.inputs import MANAGED_FIELDS
from aace.domain.errors import ValidationError
from aace.domain.records import check_field
from aace.domain.serialization import camel_case

__all__ = ["RequestModels", "request_models", "to_input"]


@attrs.frozen
class RequestModels:
    """The request models of one service."""

    create: type[pydantic.BaseModel]
    update: type[pydantic.BaseModel]


def _settable(service: str) -> tuple[type[Any], list[str], set[str]]:
    """The entity, the fields a create may give, and the key fields."""
    service_type: Any = service_types().get(service)
    spec = getattr(service_type, "spec", None)
    if spec is None:
        known = ", ".join(n for n, t in service_types().items() if hasattr(t, "spec"))
        raise LookupError(
            f"no request models for {service!r}: it is not a service of one entity ({known})"
        )
    schema = spec.schema
    managed = set(MANAGED_FIELDS) | service_type.managed_fields()
    if not spec.natural_key:
        managed.add(schema.range_key)
    names = [f.name for f in attrs.fields(schema.entity) if f.name not in managed]
    return schema.entity, names, set(schema.key_fields)


def _rule(entity: type[Any], name: str) -> Any:
    def check(value: Any) -> Any:
        try:
            check_field(entity, name, value)
        except ValidationError as exc:
            message = exc.message if exc.field == name else f"{exc.field}: {exc.message}"
            raise PydanticCustomError("aace_rule", "{message}", {"message": message}) from exc
        return value

    return pydantic.AfterValidator(check)


def _default(field: attrs.Attribute[Any]) -> Any:
    default: Any = field.default
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        return pydantic.Field(default_factory=default.factory)
    return pydantic.Field(default=default)


def _lax_datetimes(hint: Any) -> Any:
    """``hint`` with each ``datetime`` accepting ISO 8601 text (JSON has no datetime type,
    and the models are otherwise strict)."""
    if hint is datetime:
        return Annotated[datetime, pydantic.Strict(False)]
    args = typing.get_args(hint)
    if type(None) in args and datetime in args:
        return Annotated[datetime, pydantic.Strict(False)] | None
    return hint


def _model(
    name: str, entity: type[Any], names: list[str], *, partial: bool, camel: bool
) -> type[pydantic.BaseModel]:
    hints = typing.get_type_hints(entity)
    fields = attrs.fields_dict(entity)
    definitions: dict[str, Any] = {}
    for field_name in names:
        field = fields[field_name]
        hint = _lax_datetimes(hints[field_name])
        annotation = Annotated[hint, _rule(entity, field_name)]  # type: ignore[valid-type]
        if partial:
            definitions[field_name] = (annotation, pydantic.Field(default=None))
        elif field.default is attrs.NOTHING:
            definitions[field_name] = (annotation, ...)
        else:
            definitions[field_name] = (annotation, _default(field))
    config = pydantic.ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=camel_case if camel else None,
        validate_by_name=True,
        validate_by_alias=True,
        title=name,
    )
    return pydantic.create_model(name, __config__=config, **definitions)


@functools.cache
def request_models(service: str, *, camel: bool = False) -> RequestModels:
    """``Create`` and ``Update`` models of the service named ``service`` (``"agents"``);
    ``camel``: the fields are written in camelCase (snake_case is accepted too). A name
    that is not a service of one entity (``"usage"``) is ``LookupError`` naming it."""
    entity, names, keys = _settable(service)
    prefix = entity.__name__
    return RequestModels(
        create=_model(f"{prefix}Create", entity, names, partial=False, camel=camel),
        update=_model(
            f"{prefix}Update",
            entity,
            [n for n in names if n not in keys],
            partial=True,
            camel=camel,
        ),
    )


def to_input(model: pydantic.BaseModel) -> dict[str, Any]:
    """The service's input mapping from a validated request model: the fields given."""
    return model.model_dump(exclude_unset=True)
