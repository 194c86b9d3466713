"""Natural-key services: ``create`` refuses an existing key, ``upsert`` writes either way."""

from __future__ import annotations

from typing import TypeVar

from aace.application.services.arguments import Actor, Input, checked_entry_points
from aace.application.services.contention import LostRace, settle
from aace.application.services.entity import EntityService, tenant_of
from aace.domain.errors import Conflict, NotFound, ValidationError

__all__ = ["NaturalKeyService"]

E = TypeVar("E")


@checked_entry_points
class NaturalKeyService(EntityService[E]):
    """A service whose records are keyed by the caller's data (``llms``,
    ``wizard_schemas``, ``fine_tuning_messages``): ``create`` on an existing key is
    ``Conflict``, :meth:`upsert` writes either way."""

    async def upsert(self, context: Actor, data: Input) -> E:
        """Create the record ``data`` names, or update the one that exists (only the given
        fields change, as in ``update``). A key that another tenant's record holds (tables
        whose key has no tenant: fine-tuning messages) cannot be this tenant's: ``Conflict``
        at once, the same error ``create`` gives, saying nothing of that record."""
        schema = self.schema
        for name in schema.key_fields:
            if data.get(name) is None:
                raise ValidationError(name, f"is needed to upsert {schema.name}")
        key = self._key([data[name] for name in schema.key_fields])
        changes = {k: v for k, v in data.items() if k not in schema.key_fields}

        tenant = tenant_of(context)

        async def attempt() -> E:
            if await self._records.find(tenant, key) is None:
                try:
                    return await self._create(context, data, None)
                except Conflict as exc:
                    if await self._records.find(tenant, key) is None:
                        raise  # another tenant's key: refused at once, as create is
                    raise LostRace(str(exc)) from exc  # created meanwhile: update it
            try:
                return await self.update(context, *key, changes)
            except NotFound as exc:  # deleted meanwhile: create it instead
                raise LostRace(str(exc)) from exc

        return await settle(self._contention, attempt, f"{schema.name} {key}")
