"""The ports every storage adapter implements: repositories, a unit of work, a store.

Semantics (the same on every adapter; the in-memory adapter is the executable reference):

* ``put(entity, condition=ANY)`` writes the record; on a table hashed on a parent uuid a
  record of another tenant under the same key is never replaced (``Conflict``).
* ``ABSENT`` fails with ``Conflict`` when any record has the key.
* ``present(**equals)`` fails with ``NotFound`` when the tenant has no such record and with
  ``ConditionFailed`` when the record's attributes differ from ``equals``.
* A record of another tenant behaves exactly as a missing one, for reads, lists, counts,
  conditional writes and deletes.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Generic, Protocol, TypeVar, assert_never

import attrs

from aace.domain.entities.base import WebRecord
from aace.domain.query import MAX_PAGE_SIZE, Page, Query, RangeCondition
from aace.domain.schema import EntityKey, EntitySchema
from aace.domain.tenancy import PartitionKey

__all__ = [
    "ABSENT",
    "ANY",
    "PRESENT",
    "CheckResult",
    "Condition",
    "ConditionKind",
    "Health",
    "Repository",
    "ScanPage",
    "Store",
    "UnitOfWork",
    "find_active",
    "read_all",
]

E = TypeVar("E")


class ConditionKind(enum.Enum):
    """The closed set of write conditions: every adapter translates each with ``match`` and
    ``assert_never``, so a new kind is a type error wherever it is missing."""

    ANY = "any"
    ABSENT = "absent"
    PRESENT = "present"
    NOT_NEWER = "not_newer"


@attrs.frozen
class Condition:
    """A write's precondition on the record's current state."""

    kind: ConditionKind
    equals: Mapping[str, Any] = attrs.field(factory=dict)
    #: ``NOT_NEWER`` only: the attribute that dates a record, and the writer's value of it.
    stamp: tuple[str, Any] | None = None

    @classmethod
    def present(cls, **equals: Any) -> Condition:
        """The tenant's record exists and (optionally) has these attribute values."""
        return cls(ConditionKind.PRESENT, equals)

    @classmethod
    def not_newer(cls, field: str, value: Any) -> Condition:
        """Newer wins: the record is missing, or its ``field`` (a datetime that dates it, such
        as ``updated_at``) is at most ``value``. A put under it never replaces a record
        changed after the one being written; a delete under it removes only a record no
        newer than ``value`` (and is a no-op when the record is missing). What a migration
        or a replicator writes with; a record of another tenant under the key is a
        ``Conflict``, as for ``ANY``."""
        return cls(ConditionKind.NOT_NEWER, stamp=(field, value))

    def holds(self, current: Mapping[str, Any] | None) -> bool:
        """Reference semantics over the tenant's current record (``None`` when missing)."""
        match self.kind:
            case ConditionKind.ANY:
                return True
            case ConditionKind.NOT_NEWER:
                assert self.stamp is not None
                field, value = self.stamp
                stored = None if current is None else current.get(field)
                return stored is None or stored <= value
            case ConditionKind.ABSENT:
                return current is None
            case ConditionKind.PRESENT:
                equals = self.equals.items()
                return current is not None and all(current.get(k) == v for k, v in equals)
            case _:
                assert_never(self.kind)


ANY = Condition(ConditionKind.ANY)
ABSENT = Condition(ConditionKind.ABSENT)
PRESENT = Condition(ConditionKind.PRESENT)


@attrs.frozen
class ScanPage(Generic[E]):
    """One page of a scan: records in a stable order, and where the next page starts."""

    items: list[E]
    #: Opaque token for the next page of the same segment; ``None``: the segment is done.
    position: str | None


class Repository(Protocol[E]):
    """Records of one entity, always seen through one tenant."""

    @property
    def schema(self) -> EntitySchema[E]: ...

    async def get(self, tenant: PartitionKey, key: EntityKey) -> E:
        """The record, or ``NotFound``."""
        ...

    async def find(self, tenant: PartitionKey, key: EntityKey) -> E | None:
        """The record, or ``None``."""
        ...

    async def get_many(self, tenant: PartitionKey, keys: Sequence[EntityKey]) -> list[E | None]:
        """One result per key, in the caller's order (``None`` where missing), fetched in
        the fewest requests the backend allows."""
        ...

    async def put(self, entity: E, *, condition: Condition = ANY) -> None: ...

    async def put_many(self, entities: Iterable[E] | AsyncIterable[E]) -> None:
        """Unconditional bulk upsert, for loading and migration.

        ``entities`` may be any iterable or async iterable (a generator, an async generator
        reading another store): it is read once and written in backend-sized chunks (see
        :mod:`domain.bulk`), so memory stays bounded whatever its size. The last write of a
        repeated key wins. Not atomic as a whole (use a unit of work for that):

        * each entity is validated as it is read; something that is not an entity of this
          schema is ``ValidationError`` on ``entities`` (the message gives its position), a
          record over the item limit is ``TooLarge`` naming the attribute. It is raised once
          every chunk before the bad entity's chunk is written; nothing of that chunk or
          after it is. Up to 25 entities are one chunk on every adapter.
        * a storage error may leave any of the chunks sent so far written.
        """
        ...

    async def delete(
        self, tenant: PartitionKey, key: EntityKey, *, condition: Condition = PRESENT
    ) -> None: ...

    async def query(self, tenant: PartitionKey, query: Query) -> Page[E]:
        """One keyset page; the cursor is bound to the tenant and the listing."""
        ...

    async def count(self, tenant: PartitionKey, query: Query) -> int:
        """How many records the listing holds in all (``limit`` and ``cursor`` ignored)."""
        ...

    async def exists_in_any_tenant(self, equals: Mapping[str, Any]) -> bool:
        """Whether a record of any tenant has these attribute values: an operator's check
        (a platform registry's delete), ``Forbidden`` outside operator mode. It reads across
        tenants: on DynamoDB a Scan of the table until the first match (every item when there
        is none)."""
        ...

    async def find_in_any_tenant(self, key: EntityKey) -> E | None:
        """The record under ``key`` whichever tenant holds it (``None`` when there is
        none): one keyed read, on a table hashed on its own ids (``ValidationError`` on a
        table hashed on the tenant). An operator's read (``Forbidden`` outside operator
        mode): resolving a public id, the one read that starts without a tenant."""
        ...

    async def scan(
        self,
        *,
        segment: int = 0,
        segments: int = 1,
        position: str | None = None,
        limit: int = 100,
        tenant: PartitionKey | None = None,
    ) -> ScanPage[E]:
        """An operator's read across tenants (migration, copy, offboarding): one page of
        every record of the table, of every tenant, or of ``tenant`` only (not on a
        platform registry, whose records belong to no tenant).

        ``segments`` splits the table into that many disjoint parts whose union is all of
        it (1 to 1,000,000, DynamoDB's limit); ``segment`` (0 to ``segments - 1``) picks
        one, so that workers may read them in parallel. Call again with the page's
        ``position`` until it is ``None``: a page holds at most ``limit`` records (1 to
        1000) and may hold fewer, even none, before the segment ends (DynamoDB filters
        after reading). A position is the last key read, as plain JSON: a later process
        may resume from it; a record written after the scan passed it may or may not be
        seen. A bad argument, or a position that is not one of this scan's, is
        ``ValidationError`` naming it (``segment``, ``segments``, ``limit``, ``position``,
        ``tenant``)."""
        ...


class UnitOfWork(Protocol):
    """Writes that land together or not at all.

    Actions are validated when added (so bad input fails before anything is written); more
    than ``max_actions``, or two actions on one record, is refused at once. Used as
    ``async with store.unit_of_work() as uow: ...``: it commits when the block ends cleanly
    and discards everything when it raises.

    :meth:`require` adds a check that writes nothing: the unit of work commits only if the
    tenant's record still meets the condition at commit time (a child is created only while
    its parent exists). It is an action like the others: it counts toward ``max_actions``
    and a record cannot be both required and written in one unit of work.
    """

    max_actions: int

    def put(self, entity: Any, *, condition: Condition = ANY) -> None: ...

    def delete(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
        guards: Sequence[Any] = (),
    ) -> None:
        """Delete the tenant's record ``key``; ``guards``
        (:class:`~aace.domain.unit_of_work.Guard`) name dependents that refuse it with
        ``HasDependents``, checked atomically with the commit."""
        ...

    def require(
        self,
        schema: EntitySchema[Any],
        tenant: PartitionKey,
        key: EntityKey,
        *,
        condition: Condition = PRESENT,
    ) -> None:
        """Commit only if the tenant's record ``key`` of ``schema`` meets ``condition`` (of
        kind ``PRESENT``, optionally with ``equals``) when the unit of work commits: else
        the whole unit fails with ``NotFound`` (missing, or another tenant's) or
        ``ConditionFailed`` (its attributes differ), and nothing is written. Writes nothing
        itself; the record stays locked against changes until the unit commits."""
        ...

    def increment(
        self,
        tenant: PartitionKey,
        counter_name: str,
        by: int,
        *,
        limit: int | None = None,
        schema: EntitySchema[Any] = ...,  # the tenant counters
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Add ``by`` to a tenant counter (or a record of another counter table: ``schema``,
        its other attributes ``extra``); ``LimitExceeded`` if it would pass ``limit``."""
        ...

    async def commit(self) -> None: ...

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


@attrs.frozen
class CheckResult(WebRecord):
    """One health check: whether it passed, how long it took, and what it found or why it
    failed (never a password, a record or a secret). Its web shape leaves ``detail`` out
    (it may name a host) unless secrets are asked for."""

    __aace_secret_fields__: ClassVar[frozenset[str]] = frozenset({"detail"})

    ok: bool
    seconds: float
    detail: str


@attrs.frozen
class Health(WebRecord):
    """What a ping found: the store (reachable and initialised) and the cache where one is
    configured; ``ok`` when every check passed."""

    store: CheckResult
    cache: CheckResult | None = None
    ok: bool = attrs.field(init=False)

    @ok.default
    def _every_check_passed(self) -> bool:
        return self.store.ok and (self.cache is None or self.cache.ok)


class Store(Protocol):
    """One configured backend: hands out repositories and units of work."""

    #: Which adapter this is (``memory``, ``sqlite``, ``postgresql``, ``dynamodb``).
    adapter: str

    def repository(self, schema: EntitySchema[E]) -> Repository[E]: ...

    def unit_of_work(self) -> UnitOfWork: ...

    async def initialize(self) -> None:
        """Create what the backend needs (run migrations, create missing tables) and refuse
        what differs from the layout; a no-op where nothing is needed."""
        ...

    async def verify(self) -> None:
        """Check that the backend holds the layout this package needs, creating nothing.

        Missing tables, an outdated schema or a table that differs is
        ``StorageMisconfigured`` naming what is wrong.
        """
        ...

    async def ping(self) -> Health:
        """Check, with one cheap request per backend and a time limit, that the store is
        reachable and initialised (and the cache, where one is in front); never raises for
        a backend that fails: the result says what failed."""
        ...

    async def close(self) -> None: ...


async def read_all(repository: Repository[E], tenant: PartitionKey, query: Query) -> list[E]:
    """Every record of a listing, page after page (the largest pages the port allows)."""
    query = attrs.evolve(query, limit=MAX_PAGE_SIZE, cursor=None)
    found: list[E] = []
    while True:
        page = await repository.query(tenant, query)
        found.extend(page.items)
        if page.next_cursor is None:
            return found
        query = attrs.evolve(query, cursor=page.next_cursor)


async def find_active(
    repository: Repository[E], tenant: PartitionKey, stable_attr: str, stable_id: str
) -> E | None:
    """The active version of a versioned entity known by its stable id (one query on the
    index of the stable id), or ``None``."""
    schema = repository.schema
    index = next(i.name for i in schema.indexes if i.range_key == stable_attr)
    query = Query(
        index=index, range=RangeCondition.eq(stable_id), filters={"status": "active"}, limit=1
    )
    page = await repository.query(tenant, query)
    return page.items[0] if page.items else None
