"""Idempotent creation: a key remembers what the first call made and with which input."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, TypeVar

from aace.adapters.observing import IDEMPOTENT_REPLAYS, report
from aace.domain.entities import IDEMPOTENCY, IdempotencyRecord, schema_for, schema_named
from aace.domain.errors import Conflict, IdempotencyConflict, LimitExceeded
from aace.domain.ports import ABSENT, Store, UnitOfWork
from aace.domain.schema import EntityKey
from aace.domain.tenancy import TenantContext

__all__ = ["Idempotency", "fingerprint"]

E = TypeVar("E")
log = logging.getLogger("aace.idempotency")


def fingerprint(operation: str, data: Mapping[str, Any]) -> str:
    """A stable digest of an operation's input (``<table>.create``), without the values of
    the table's secret attributes: an unkeyed digest of a credential would let anyone who
    reads the idempotency table test guesses of it. Only their presence counts, so a
    retry with other credentials replays the first call."""
    secrets = _secrets_of(operation)
    if secrets and isinstance(data, Mapping):
        data = {k: ("<secret>" if k in secrets else v) for k, v in data.items()}
    text = json.dumps([operation, data], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _secrets_of(operation: str) -> frozenset[str]:
    try:
        return schema_named(operation.partition(".")[0]).secrets
    except KeyError:
        return frozenset()


class Idempotency:
    """Looks up and records idempotency keys (scoped to the tenant)."""

    def __init__(self, store: Store) -> None:
        self._records = store.repository(IDEMPOTENCY)
        self._store = store

    async def replay(
        self, context: TenantContext, key: str, operation: str, digest: str
    ) -> Any | None:
        """What an earlier call with ``key`` created, or ``None`` if there was none.
        The same key with a different input or operation is ``IdempotencyConflict``."""
        record = await self._records.find(context.partition_key, (key,))
        if record is None:
            return None
        if record.operation != operation or record.fingerprint != digest:
            raise IdempotencyConflict(
                f"idempotency key {key!r} was used for a different {record.operation} input"
            )
        schema = schema_named(record.entity_name)
        report(
            log,
            logging.INFO,
            f"{operation}: idempotency key seen before, answering with the earlier result",
            IDEMPOTENT_REPLAYS,
            {"aace.operation": operation},
        )
        return await self._store.repository(schema).get(
            context.partition_key, tuple(record.entity_key)
        )

    async def commit_once(
        self,
        context: TenantContext,
        key: str | None,
        operation: str,
        data: Mapping[str, Any],
        uow: UnitOfWork,
        created: Any,
    ) -> Any:
        """Commit ``uow``, which creates ``created``, unless ``key`` already made something.

        The key's record is written in the same unit of work, on the condition that it is
        absent, so a first call costs no extra read. Only when the commit fails (the key's
        record exists, or the tenant's limit is reached because the first call took the last
        slot) is the key looked up: the earlier result is returned and nothing is written.
        The same key with other input is ``IdempotencyConflict``.
        """
        if key is None:
            await uow.commit()
            return created
        digest = fingerprint(operation, data)
        schema = schema_for(type(created))
        self.remember(uow, context, key, operation, digest, schema.name, schema.key_of(created))
        try:
            await uow.commit()
        except (Conflict, LimitExceeded):
            earlier = await self.replay(context, key, operation, digest)
            if earlier is None:
                raise
            return earlier
        return created

    @staticmethod
    def remember(
        uow: UnitOfWork,
        context: TenantContext,
        key: str,
        operation: str,
        digest: str,
        entity_name: str,
        entity_key: EntityKey,
    ) -> None:
        """Add the key's record to the unit of work that creates the entity."""
        uow.put(
            IdempotencyRecord(
                partition_key=context.partition_key,
                idempotency_key=key,
                operation=operation,
                fingerprint=digest,
                entity_name=entity_name,
                entity_key=list(entity_key),
            ),
            condition=ABSENT,
        )
