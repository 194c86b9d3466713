"""Usage metering and quotas (issue: per-tenant usage): limits an operator sets per usage key
and period, running totals per period, recorded atomically against the limits.

Every record adds to three summaries of the key (the UTC day, the UTC month, all time), each
an atomic conditional increment that refuses to pass an active limit without overage
(``LimitExceeded``, nothing written). One tenant's key is one item per period: on DynamoDB
that caps it at about 1 000 writes a second (one partition's write throughput); an embedder
that needs more spreads the load over finer keys (``tokens:<agent>``) and adds them up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
from injector import inject

from aace.application.services.arguments import (
    Actor,
    Amount,
    Cursor,
    Flag,
    Id,
    Input,
    KeyAndChanges,
    KeyPart,
    OptionalId,
    OptionalMoment,
    PageSize,
    Periods,
    Text,
    checked_entry_points,
)
from aace.application.services.entity import EntityService, ServiceSpec, tenant_of
from aace.application.services.idempotency import Idempotency, fingerprint
from aace.application.services.listing import Listing, eq, one_of
from aace.application.settings import Settings
from aace.domain.entities import PERIODS, USAGE_LIMITS, USAGE_SUMMARIES, UsageLimit, UsageSummary
from aace.domain.entities.base import WebRecord
from aace.domain.errors import Conflict, Forbidden, LimitExceeded, ValidationError
from aace.domain.ports import Store, UnitOfWork
from aace.domain.query import MAX_PAGE_SIZE, Page, Query
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext
from aace.domain.usage_rules import (
    USAGE_LIMIT_RULES,
    ceiling,
    check_period,
    check_usage_key,
    limit_key,
    period_start,
    refuse_at_ceiling,
    summary_key,
)

__all__ = ["Metering", "UsageCheck", "UsageLimitService", "UsageService", "UsageSummaryService"]

log = logging.getLogger("aace.usage")


@attrs.frozen
class UsageCheck(WebRecord):
    """Where a tenant stands on one usage key in one period."""

    usage_key: str
    period: str
    period_start: datetime | None
    used: int
    limit: int | None
    allow_overage: bool

    @property
    def left(self) -> int | None:
        """What may still be used (``None``: no limit)."""
        return None if self.limit is None else max(0, self.limit - self.used)


Limits = dict[str, UsageLimit]


class Metering:
    """Usage records shared by the services that meter (usage, runs)."""

    def __init__(self, store: Store, clock: Callable[[], datetime] | None) -> None:
        self._store = store
        self._clock = clock or (lambda: datetime.now(UTC))
        self._limits = store.repository(USAGE_LIMITS)
        self._summaries = store.repository(USAGE_SUMMARIES)

    def now(self) -> datetime:
        now = self._clock()
        if not isinstance(now, datetime) or now.tzinfo is None:
            raise ValidationError("clock", "must return an aware datetime")
        return now

    async def limits(self, tenant: PartitionKey, usage_key: str) -> Limits:
        """The active limits of ``usage_key``, by period."""
        query = Query(
            filters={"usage_key": check_usage_key(usage_key), "status": "active"},
            limit=MAX_PAGE_SIZE,
        )
        page = await self._limits.query(tenant, query)
        return {limit.period: limit for limit in page.items}

    def add(
        self,
        uow: UnitOfWork,
        tenant: PartitionKey,
        usage_key: str,
        amount: int,
        limits: Limits,
        *,
        at: datetime | None = None,
        periods: tuple[str, ...] = PERIODS,
    ) -> None:
        """Add ``amount`` to the key's summaries of the periods ``at`` (default: now) falls
        in; an active limit of ``limits`` without overage refuses to be passed."""
        moment = self.now() if at is None else at
        for period in periods:
            start = period_start(period, moment)
            uow.increment(
                tenant,
                summary_key(check_usage_key(usage_key), period, start),
                amount,
                limit=ceiling(limits.get(period)),
                schema=USAGE_SUMMARIES,
                extra={"usage_key": usage_key, "period": period, "period_start": start},
            )

    async def check(
        self, tenant: PartitionKey, usage_key: str, period: str, limits: Limits | None = None
    ) -> UsageCheck:
        check_period(period)
        limits = await self.limits(tenant, usage_key) if limits is None else limits
        start = period_start(period, self.now())
        found = await self._summaries.find(tenant, (summary_key(usage_key, period, start),))
        limit = limits.get(period)
        return UsageCheck(
            usage_key,
            period,
            start,
            0 if found is None else found.value,
            None if limit is None else limit.limit,
            False if limit is None else limit.allow_overage,
        )

    async def refuse_if_over(self, tenant: PartitionKey, limits: Mapping[str, Limits]) -> None:
        """``LimitExceeded`` while any key (of ``limits``, the keys' active limits) is at or
        over an active limit without overage in its current period: the quota bites before
        work starts."""
        for usage_key, by_period in limits.items():
            for period, limit in by_period.items():
                most = ceiling(limit)
                if most is None:
                    continue
                checked = await self.check(tenant, usage_key, period, by_period)
                refuse_at_ceiling(usage_key, period, checked.used, most, checked.period_start)


def _reader(context: Any) -> PartitionKey:
    """Whose usage a call reads: a tenant's own, or the tenant an operator names."""
    if isinstance(context, PlatformContext) and context.tenant is None:
        raise Forbidden("usage belongs to a tenant: name one in the PlatformContext")
    return tenant_of(context)


def _operator(context: Any) -> PlatformContext:
    if not isinstance(context, PlatformContext) or context.tenant is None:
        raise Forbidden("only an operator's PlatformContext naming the tenant writes this")
    return context


@checked_entry_points
class UsageLimitService(EntityService[UsageLimit]):
    """A tenant's usage limits: the tenant reads them; only an operator writes them, with a
    ``PlatformContext(updated_by=…, tenant=…)`` naming the tenant. One per usage key and
    period (``limit_key`` is the package's: ``"<usage_key>#<period>"``)."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        USAGE_LIMITS,
        Listing(
            {"usage_key": eq("usage_key"), "period": eq("period"), "statuses": one_of("status")},
            order=None,
        ),
        rules=USAGE_LIMIT_RULES,
        key_from=limit_key,
    )

    async def create(
        self,
        context: Actor,
        data: Input,
        *,
        idempotency_key: OptionalId = None,
        id: OptionalId = None,
    ) -> UsageLimit:
        """A limit (``usage_key``, ``period``, ``limit``, ``allow_overage``, ``status``);
        ``Conflict`` if the tenant has one for that key and period (so a retry is safe
        without ``idempotency_key``, which is accepted for the shared shape and unused)."""
        _operator(context)
        return await super().create(context, data, id=id)

    async def update(
        self,
        context: Actor,
        *key_and_changes: KeyAndChanges,
        expected_updated_at: OptionalMoment = None,
    ) -> UsageLimit:
        self._split(key_and_changes)  # a malformed key or change is named first
        _operator(context)
        return await super().update(
            context, *key_and_changes, expected_updated_at=expected_updated_at
        )

    async def delete(self, context: Actor, *key: KeyPart, cascade: Flag = False) -> None:
        self._key(key)  # a malformed key is named first
        _operator(context)
        await super().delete(context, *key, cascade=cascade)


@checked_entry_points
class UsageSummaryService(EntityService[UsageSummary]):
    """A tenant's usage totals, read-only: ``app.usage`` records and adjusts them."""

    spec: ClassVar[ServiceSpec[Any]] = ServiceSpec(
        USAGE_SUMMARIES,
        Listing({"usage_key": eq("usage_key"), "period": eq("period")}, order=None),
    )

    async def create(
        self,
        context: Actor,
        data: Input,
        *,
        idempotency_key: OptionalId = None,
        id: OptionalId = None,
    ) -> UsageSummary:
        raise Forbidden("usage summaries change through app.usage.record and adjust")

    async def update(
        self,
        context: Actor,
        *key_and_changes: KeyAndChanges,
        expected_updated_at: OptionalMoment = None,
    ) -> UsageSummary:
        self._split(key_and_changes)
        raise Forbidden("usage summaries change through app.usage.record and adjust")

    async def delete(self, context: Actor, *key: KeyPart, cascade: Flag = False) -> None:
        self._key(key)
        raise Forbidden("usage summaries change through app.usage.record and adjust")


@checked_entry_points
class UsageService:
    """``app.usage``: record what a tenant uses, check where it stands, list its totals,
    correct them. ``Settings.clock`` decides the current periods."""

    @inject
    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = store
        self._metering = Metering(store, settings.clock)
        self._idempotency = Idempotency(store)
        self._summaries = store.repository(USAGE_SUMMARIES)

    async def record(
        self,
        context: TenantContext,
        usage_key: Id,
        amount: Amount,
        *,
        idempotency_key: OptionalId = None,
    ) -> None:
        """Add ``amount`` to the key's day, month and all-time totals, atomically;
        ``LimitExceeded`` (nothing written) when that would pass an active limit without
        overage. A repeated ``idempotency_key`` with the same input records nothing more."""
        if amount < 0:
            raise ValidationError("amount", "must be more than 0 (refunds go through adjust)")
        tenant = context.partition_key
        limits = await self._metering.limits(tenant, usage_key)
        uow = self._store.unit_of_work()
        digest = fingerprint("usage.record", {"usage_key": usage_key, "amount": amount})
        try:
            self._metering.add(uow, tenant, usage_key, amount, limits)  # may refuse at once
            if idempotency_key is None:
                await uow.commit()
                return
            marker = (summary_key(usage_key, "none", None),)
            self._idempotency.remember(
                uow, context, idempotency_key, "usage.record", digest, USAGE_SUMMARIES.name, marker
            )
            await uow.commit()
        except (Conflict, LimitExceeded):
            if idempotency_key is None:
                raise
            if (
                await self._idempotency.replay(context, idempotency_key, "usage.record", digest)
                is None
            ):
                raise

    async def check(
        self, context: Actor, usage_key: Id, *, period: OptionalId = "month"
    ) -> UsageCheck:
        """The current ``period``'s use of ``usage_key``, its limit and what is left."""
        return await self._metering.check(_reader(context), usage_key, period or "month")

    async def summaries(
        self,
        context: Actor,
        *,
        usage_key: OptionalId = None,
        period: OptionalId = None,
        limit: PageSize = 50,
        cursor: Cursor = None,
    ) -> Page[UsageSummary]:
        """The tenant's totals (keyset pages), optionally of one key or period."""
        filters = {k: v for k, v in (("usage_key", usage_key), ("period", period)) if v}
        return await self._summaries.query(
            _reader(context), Query(filters=filters, limit=limit, cursor=cursor)
        )

    async def adjust(
        self,
        context: Actor,
        usage_key: Id,
        amount: Amount,
        *,
        reason: Text,
        at: OptionalMoment = None,
        periods: Periods = PERIODS,
    ) -> None:
        """An operator's correction (refunds are explicit: deleting a run refunds nothing):
        add ``amount`` (negative to refund) to the totals of ``periods`` that ``at``
        (default: now) falls in, never refused by a limit; a total cannot go below 0
        (``ConditionFailed``, nothing written). ``reason`` is logged."""
        operator = _operator(context)
        if not reason.strip():
            raise ValidationError("reason", "must say why")
        assert operator.tenant is not None
        uow = self._store.unit_of_work()
        chosen = tuple(periods)
        self._metering.add(uow, operator.tenant, usage_key, amount, {}, at=at, periods=chosen)
        await uow.commit()
        log.info(
            "usage adjusted",
            extra={
                "usage_key": usage_key,
                "amount": amount,
                "by": operator.updated_by,
                "reason": reason,
            },
        )
