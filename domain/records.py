"""Entities to storage records and back.

A *storage record* is a plain dict whose keys are exactly the attribute names of
storage-layout.md, with the tenant flattened into the three tenant attributes and datetimes
kept as aware UTC ``datetime`` objects. Each adapter maps that one shape onto its backend.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.errors import ClassValidationError, ForbiddenExtraKeysError

from aace.domain.errors import FieldError, InvalidPartitionKey, TooLarge, ValidationError
from aace.domain.schema import TENANT_ATTRS, EntitySchema, IndexKind
from aace.domain.tenancy import PartitionKey

__all__ = [
    "MAX_ITEM_BYTES",
    "check_field",
    "check_item_size",
    "from_known_record",
    "from_record",
    "input_errors",
    "item_size",
    "refused_together",
    "structure_input",
    "to_record",
]

E = TypeVar("E")

MAX_ITEM_BYTES = 400 * 1024


def _passthrough(value: Any, _: Any) -> Any:
    return value


def _datetime(value: Any, _: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value  # the field validator names the field and refuses it
    return value


def _is_container(hint: Any) -> bool:
    return typing.get_origin(hint) in (list, dict)


def _make_converter(*, forbid_extra_keys: bool) -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=forbid_extra_keys)
    # Type checks belong to the entities' validators (they name the field); the converter
    # must not coerce ("5" -> 5, 5.7 -> 5) on the way in.
    for primitive in (str, int, float, bool):
        converter.register_structure_hook(primitive, _passthrough)
    converter.register_structure_hook(datetime, _datetime)
    converter.register_structure_hook(PartitionKey, _passthrough)
    converter.register_unstructure_hook(datetime, lambda value: value)
    converter.register_unstructure_hook(PartitionKey, lambda value: value)
    converter.register_structure_hook_func(_is_container, _passthrough)
    return converter


_records = _make_converter(forbid_extra_keys=False)
_inputs = _make_converter(forbid_extra_keys=True)


def _first_leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, ClassValidationError) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _translate(exc: ClassValidationError, entity: type[Any]) -> ValidationError:
    leaf = _first_leaf(exc)
    if isinstance(leaf, ValidationError):
        return leaf
    if isinstance(leaf, ForbiddenExtraKeysError):
        name = sorted(leaf.extra_fields)[0]
        return ValidationError(name, f"is not a field of {entity.__name__}")
    if isinstance(leaf, KeyError):
        name = str(leaf.args[0]) if leaf.args else "?"
        return ValidationError(name, "is required")
    messages = cattrs.transform_error(exc, path=entity.__name__)
    return ValidationError(entity.__name__, "; ".join(messages))


def _structure(converter: cattrs.Converter, data: Mapping[str, Any], entity: type[E]) -> E:
    try:
        return converter.structure(data, entity)
    except ClassValidationError as exc:
        raise _translate(exc, entity) from exc
    except (TypeError, KeyError) as exc:  # missing required arguments
        raise ValidationError(entity.__name__, str(exc)) from exc


def to_record(schema: EntitySchema[E], entity: E) -> dict[str, Any]:
    """The storage record of ``entity``; refuses a record over DynamoDB's 400 KB item limit.
    A platform record has no tenant attributes."""
    record: dict[str, Any] = _records.unstructure(entity)
    if not schema.platform:
        tenant: PartitionKey = record["partition_key"]
        record["partition_key"] = str(tenant)
        record["endpoint_id"] = tenant.endpoint_id
        record["part_id"] = tenant.part_id
    check_item_size(schema, record)
    return record


def _tenant_checked(schema: EntitySchema[Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The record's entity fields, its ``partition_key`` parsed: tenant attributes that
    disagree with it are refused (a platform record has no tenant)."""
    data = {k: v for k, v in record.items() if k not in TENANT_ATTRS}
    if schema.platform:
        return data
    tenant = _parse_tenant(record["partition_key"])
    for attr in ("endpoint_id", "part_id"):
        stored = record.get(attr)
        if stored is not None and stored != getattr(tenant, attr):
            raise InvalidPartitionKey(attr, "disagrees with the record's partition_key")
    data["partition_key"] = tenant
    return data


#: Parsed tenants (a PartitionKey is immutable; a malformed one raises and is not kept).
_parse_tenant = functools.lru_cache(maxsize=4096)(PartitionKey.parse)


def from_record(schema: EntitySchema[E], record: Mapping[str, Any]) -> E:
    """The entity stored as ``record``, every field through the entity's validators.
    Attributes the entity does not know are ignored (old readers and writers may add some);
    tenant attributes that disagree are refused. A platform record has no tenant."""
    return _structure(_records, _tenant_checked(schema, record), schema.entity)


def from_known_record(schema: EntitySchema[E], record: Mapping[str, Any]) -> E:
    """The entity stored as ``record``, a record :func:`from_record` accepted before in this
    exact stored form (the adapter remembers which): the tenant check runs, the field
    validators do not (they passed then, on the same values). Converters run, as ``__init__``
    would run them."""
    return _builder(schema.entity)(_tenant_checked(schema, record))


Build = Callable[[Mapping[str, Any]], Any]
_BUILDERS: dict[type[Any], Build] = {}


def _builder(entity: type[E]) -> Callable[[Mapping[str, Any]], E]:
    found = _BUILDERS.get(entity)
    if found is None:
        found = _BUILDERS[entity] = _make_builder(entity)
    return found


def _make_builder(entity: type[Any]) -> Build:
    """Sets each field as ``__init__`` would (defaults, converters), without validators."""
    steps: list[tuple[str, Callable[[], Any] | None, Callable[[Any], Any] | None, bool]] = []
    for field in attrs.fields(entity):
        default: Callable[[], Any] | None = None
        if isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
            if field.default.takes_self:
                raise TypeError(f"{entity.__name__}.{field.name}: a default needing the record")
            default = field.default.factory
        elif field.default is not attrs.NOTHING:
            default = functools.partial(_same, field.default)
        converter = field.converter if callable(field.converter) else None
        steps.append((field.name, default, converter, "datetime" in str(field.type)))
    new, assign = object.__new__, object.__setattr__

    def build(data: Mapping[str, Any]) -> Any:
        made = new(entity)
        for name, default, converter, moment in steps:
            if name in data:
                value = data[name]
                if moment and isinstance(value, str):
                    value = _datetime(value, None)
            elif default is None:
                raise ValidationError(name, "is required")
            else:
                value = default()
            assign(made, name, value if converter is None else converter(value))
        return made

    return build


def _same(value: Any) -> Any:
    return value


def structure_input(
    entity: type[E], data: Mapping[str, Any], *, refused: Iterable[ValidationError] = ()
) -> E:
    """Build an entity from caller input. Every bad field (missing, unknown, of the wrong
    type, breaking a rule, oversize) and the ``refused`` ones the caller found first are one
    :class:`ValidationError` listing them all in field order (:func:`refused_together`)."""
    if not isinstance(data, Mapping):
        raise ValidationError(entity.__name__, f"input must be a mapping, got {type(data)}")
    found = [*refused, *input_errors(entity, data)]
    if found:
        raise refused_together(entity, found)
    return _structure(_inputs, data, entity)


def _checked_value(field: attrs.Attribute[Any], value: Any) -> Any:
    """``value`` as the entity would hold it: structured as input is (ISO text to a
    datetime), then through the field's converter."""
    if "datetime" in str(field.type):  # a datetime, maybe optional
        value = _datetime(value, None)
    converter = field.converter
    return converter(value) if callable(converter) else value


def check_field(entity: type[Any], name: str, value: Any) -> None:
    """``ValidationError`` unless ``value`` passes the rules of ``entity``'s field ``name``
    on its own: the entity's own validator, so a rule is written once (request models
    call this too)."""
    field = attrs.fields_dict(entity)[name]
    if field.validator is None:
        return
    try:
        field.validator(None, field, _checked_value(field, value))
    except ValidationError:
        raise
    except Exception:  # a rule that needs the whole record: it runs on building
        return


def input_errors(entity: type[Any], data: Mapping[str, Any]) -> list[ValidationError]:
    """Each field of ``data`` checked alone (:func:`check_field`), and the required fields
    it lacks and the names the entity does not have: one error per bad field, in field
    order, unknown names last as given."""
    fields = attrs.fields(entity)
    errors: list[ValidationError] = []
    for field in fields:
        if field.name not in data:
            if field.default is attrs.NOTHING and field.init:
                errors.append(ValidationError(field.name, "is required"))
            continue
        try:
            check_field(entity, field.name, data[field.name])
        except ValidationError as exc:
            errors.append(exc)
    names = {field.name for field in fields}
    errors.extend(
        ValidationError(str(name), f"is not a field of {entity.__name__}")
        for name in data
        if name not in names
    )
    return errors


def refused_together(entity: type[Any], errors: Iterable[ValidationError]) -> ValidationError:
    """One error for several bad fields: the first in the entity's field order (its class
    and ``field``), listing every field error of them all (``errors``) in that order."""
    order = {field.name: at for at, field in enumerate(attrs.fields(entity))}

    def position(error: ValidationError) -> int:
        top = error.field.split(".")[0].split("[")[0].split(" ")[0]
        return order.get(top, len(order))

    ranked = sorted(errors, key=position)  # stable: unknown names keep the caller's order
    listed: list[FieldError] = []
    for error in ranked:
        listed.extend(e for e in error.errors if e not in listed)
    return ranked[0].with_errors(listed)


def _text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _value_size(value: Any) -> int:
    if isinstance(value, str):
        return _text_size(value)
    if value is None or isinstance(value, bool):
        return 1
    if isinstance(value, int):
        return (len(str(abs(value))) + 1) // 2 + 1
    if isinstance(value, float):
        digits = sum(ch.isdigit() for ch in repr(value))
        return (digits + 1) // 2 + 1
    if isinstance(value, datetime):
        return 31  # "YYYY-MM-DDTHH:MM:SS.ffffff+0000"
    if isinstance(value, Mapping):
        return 3 + sum(_text_size(k) + _value_size(v) + 1 for k, v in value.items())
    if isinstance(value, Iterable):
        return 3 + sum(_value_size(v) + 1 for v in value)
    raise TypeError(f"no size rule for {type(value).__name__}")


def item_size(record: Mapping[str, Any]) -> int:
    """An upper estimate of the record's DynamoDB item size in bytes (names plus values)."""
    return sum(_text_size(k) + _value_size(v) for k, v in record.items())


def check_item_size(schema: EntitySchema[Any], record: Mapping[str, Any]) -> None:
    """Refuse a record DynamoDB could not store, on every adapter alike.

    DynamoDB counts an item together with its copy in every local secondary index it appears
    in (all indexes here project ``ALL``) against the 400 KB item limit, so a record of a
    table with local indexes may hold only about ``400 KB / (1 + copies)``.
    """
    copies = sum(
        1
        for index in schema.indexes
        if index.kind is IndexKind.LOCAL and record.get(index.range_key) is not None
    )
    size = item_size(record)
    if size * (1 + copies) <= MAX_ITEM_BYTES:
        return
    largest = max(record, key=lambda k: _value_size(record[k]))
    counted = f" counted with its {copies} local index copies" if copies else ""
    raise TooLarge(
        largest,
        f"{schema.name} record is {size} bytes{counted}, over the {MAX_ITEM_BYTES}-byte item "
        f"limit ({largest!r} is its largest attribute)",
        limit="item size",
    )
