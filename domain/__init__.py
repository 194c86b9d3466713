"""The pure core of aace-core: tenant identity, entities, rules, errors and ports.

It imports nothing but the standard library, attrs and cattrs.
"""

from domain.entities import *  # noqa: F403
from domain.entities import __all__ as _entities_all
from domain.errors import *  # noqa: F403
from domain.errors import __all__ as _errors_all
from domain.ports import (
    ABSENT,
    ANY,
    PRESENT,
    Condition,
    ConditionKind,
    Repository,
    Store,
    UnitOfWork,
)
from domain.query import CursorCodec, Op, Page, Query, RangeCondition
from domain.records import from_record, structure_input, to_record
from domain.schema import EntityKey, EntitySchema, IndexKind, IndexSpec, TableGroup, TableNames
from domain.tenancy import PartitionKey, TenantContext
from domain.unit_of_work import BufferedUnitOfWork

__all__ = [
    *_entities_all,
    *_errors_all,
    "ABSENT",
    "ANY",
    "PRESENT",
    "BufferedUnitOfWork",
    "Condition",
    "ConditionKind",
    "CursorCodec",
    "EntityKey",
    "EntitySchema",
    "IndexKind",
    "IndexSpec",
    "Op",
    "Page",
    "PartitionKey",
    "Query",
    "RangeCondition",
    "Repository",
    "Store",
    "TableGroup",
    "TableNames",
    "TenantContext",
    "UnitOfWork",
    "from_record",
    "structure_input",
    "to_record",
]
