"""The pure core of aace-core: tenant identity, entities, rules, errors and ports.

It imports nothing but the standard library, attrs and cattrs. Importing a module of it
(``aace.domain.errors``, ``aace.domain.tenancy``) loads only what that module needs: the
names below are imported the first time they are used (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if __name__ != "aace.domain":  # pragma: no cover - a checkout's top-level folder
    raise ImportError(f"import aace.domain, not {__name__}: the package has one name")

if TYPE_CHECKING:
    from aace.domain.entities import *  # noqa: F403
    from aace.domain.errors import *  # noqa: F403
    from aace.domain.filters import All as All
    from aace.domain.filters import Between as Between
    from aace.domain.filters import Contains as Contains
    from aace.domain.filters import Equals as Equals
    from aace.domain.filters import Filter as Filter
    from aace.domain.filters import In as In
    from aace.domain.filters import Nested as Nested
    from aace.domain.filters import TimeRange as TimeRange
    from aace.domain.ports import ABSENT as ABSENT
    from aace.domain.ports import ANY as ANY
    from aace.domain.ports import PRESENT as PRESENT
    from aace.domain.ports import Condition as Condition
    from aace.domain.ports import ConditionKind as ConditionKind
    from aace.domain.ports import Repository as Repository
    from aace.domain.ports import Store as Store
    from aace.domain.ports import UnitOfWork as UnitOfWork
    from aace.domain.query import CursorCodec as CursorCodec
    from aace.domain.query import Op as Op
    from aace.domain.query import Page as Page
    from aace.domain.query import Query as Query
    from aace.domain.query import RangeCondition as RangeCondition
    from aace.domain.records import from_record as from_record
    from aace.domain.records import structure_input as structure_input
    from aace.domain.records import to_record as to_record
    from aace.domain.schema import EntityKey as EntityKey
    from aace.domain.schema import EntitySchema as EntitySchema
    from aace.domain.schema import IndexKind as IndexKind
    from aace.domain.schema import IndexSpec as IndexSpec
    from aace.domain.schema import TableGroup as TableGroup
    from aace.domain.schema import TableNames as TableNames
    from aace.domain.tenancy import PartitionKey as PartitionKey
    from aace.domain.tenancy import TenantContext as TenantContext
    from aace.domain.unit_of_work import BufferedUnitOfWork as BufferedUnitOfWork

#: The modules whose whole ``__all__`` the package exports.
_WHOLE = ("aace.domain.errors", "aace.domain.entities")

#: The names exported from other modules, by module.
_CHOSEN = {
    "aace.domain.filters": (
        "All", "Between", "Contains", "Equals", "Filter", "In", "Nested", "TimeRange",
    ),
    "aace.domain.ports": (
        "ABSENT", "ANY", "PRESENT", "Condition", "ConditionKind", "Repository", "Store",
        "UnitOfWork",
    ),
    "aace.domain.query": ("CursorCodec", "Op", "Page", "Query", "RangeCondition"),
    "aace.domain.records": ("from_record", "structure_input", "to_record"),
    "aace.domain.schema": (
        "EntityKey", "EntitySchema", "IndexKind", "IndexSpec", "TableGroup", "TableNames",
    ),
    "aace.domain.tenancy": ("PartitionKey", "TenantContext"),
    "aace.domain.unit_of_work": ("BufferedUnitOfWork",),
}  # fmt: skip

_WHERE = {name: module for module, names in _CHOSEN.items() for name in names}


def _exports() -> list[str]:
    whole = [n for module in _WHOLE for n in importlib.import_module(module).__all__]
    return sorted({*whole, *_WHERE})


def __getattr__(name: str) -> Any:
    if name == "__all__":
        value: Any = _exports()
    elif name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    else:
        for module in _WHOLE:
            loaded = importlib.import_module(module)
            if name in loaded.__all__:
                value = getattr(loaded, name)
                break
        else:
            raise AttributeError(f"module 'aace.domain' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_exports()})
