"""Public ids: names of a logical agent (across its versions) that a client-side embed may
carry. Random, at least 128 bits, URL-safe, carrying no tenant, no internal id and no secret.

The table is hashed on the public id itself, so resolving one is a single keyed read that
needs no tenant (an operator's read across tenants: see ``agents.resolve_public``); the
tenant's listing by agent goes through a global index on (``partition_key``,
``agent_uuid``). ``kind`` is the range key: what the id names (``agent``; another kind of
target would be another value), so the key is (public id, kind).
"""

from __future__ import annotations

import re
import secrets

import attrs

from aace.domain.entities.base import AuditedEntity, gsi
from aace.domain.errors import ValidationError
from aace.domain.fields import id_field
from aace.domain.schema import EntitySchema, TableGroup

__all__ = ["AGENT_KIND", "PUBLIC_IDS", "PublicId", "check_public_id", "new_public_id"]

#: What an agent's public id names.
AGENT_KIND = "agent"
#: Random bytes per id: 192 bits (the issue asks for at least 128).
_RANDOM_BYTES = 24
_PREFIX = "pub_"
_SHAPE = re.compile(r"pub_[A-Za-z0-9_-]{32}")


def new_public_id() -> str:
    """A fresh public id: ``pub_`` and 24 random bytes as URL-safe base64 (32 characters),
    from the operating system's CSPRNG. Nothing in it comes from the tenant or the agent."""
    return _PREFIX + secrets.token_urlsafe(_RANDOM_BYTES)


def check_public_id(value: object) -> str:
    """``value`` if it has the shape of a public id, else ``ValidationError`` (a malformed
    id never reaches storage)."""
    if not isinstance(value, str) or not _SHAPE.fullmatch(value):
        raise ValidationError("public_id", "is not a public id")
    return value


@attrs.frozen(kw_only=True)
class PublicId(AuditedEntity):
    """One public id of an agent (its stable ``agent_uuid``, whichever version is active)."""

    public_id: str = id_field()
    kind: str = id_field()
    agent_uuid: str = id_field()


PUBLIC_IDS = EntitySchema(
    name="public_ids",
    entity=PublicId,
    group=TableGroup.AGENT,
    hash_key="public_id",
    range_key="kind",
    indexes=(gsi("partition_key-agent_uuid-index", "partition_key", "agent_uuid"),),
)
