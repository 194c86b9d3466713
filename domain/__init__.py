"""The pure core of aace-core: tenant identity, entities, rules, errors and ports.

It imports nothing but the standard library, attrs and cattrs.
"""

from aace.domain.entities import *  # noqa: F403
from aace.domain.entities import __all__ as _entities_all
from aace.domain.errors import *  # noqa: F403
from aace.domain.errors import __all__ as _errors_all
from aace.domain.filters import Contains, Equals, Filter, In, Nested, TimeRange
from aace.domain.ports import (
    ABSENT,
    ANY,
    PRESENT,
    Condition,
    ConditionKind,
    Repository,
    Store,
    UnitOfWork,
)
from aace.domain.query import CursorCodec, Op, Page, Query, RangeCondition
from aace.domain.records import from_record, structure_input, to_record
from aace.domain.schema import (
    EntityKey,
    EntitySchema,
    IndexKind,
    IndexSpec,
    TableGroup,
    TableNames,
)
from aace.domain.tenancy import PartitionKey, TenantContext
from aace.domain.unit_of_work import BufferedUnitOfWork

__all__ = [
    *_entities_all,
    *_errors_all,
    "ABSENT",
    "ANY",
    "PRESENT",
    "BufferedUnitOfWork",
    "Condition",
    "ConditionKind",
    "Contains",
    "CursorCodec",
    "EntityKey",
    "EntitySchema",
    "Equals",
    "Filter",
    "In",
    "IndexKind",
    "IndexSpec",
    "Nested",
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
    "TimeRange",
    "UnitOfWork",
    "from_record",
    "structure_input",
    "to_record",
]
