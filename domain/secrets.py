"""Secrets at rest, as rules: the envelope a secret attribute is stored as, what binds it
to its record, key ids, and the key-provider port (behaviour.md §11).

An envelope is a plain map of text to text, so every adapter stores it as it stores any
map (DynamoDB keeps type ``M``, and the platform's models still load the record). Its
names start with ``aace:``, which no HTTP header name holds (``:`` is not a token
character), so a stored map is told apart from clear headers by its shape alone. The
cryptography lives in :mod:`aace.adapters.secrets`; nothing here imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import string
from collections.abc import Mapping
from typing import Any, Protocol

import attrs

from aace.domain.errors import StorageError, StorageMisconfigured, ValidationError
from aace.domain.schema import EntitySchema

__all__ = [
    "ENVELOPE_MARK",
    "RESERVED_PREFIX",
    "DataKey",
    "Envelope",
    "KeyProvider",
    "SecretMoved",
    "UnknownSecretKey",
    "associated_data",
    "is_envelope",
    "key_id_of",
    "parse_key",
    "refuse_reserved",
    "shown_key_id",
]

#: Every name of an envelope starts with this (no header name can: ``:`` is not a token).
RESERVED_PREFIX = "aace:"
ENVELOPE_MARK = "aace:envelope"
#: The one envelope format so far: AES-256-GCM under a per-key HKDF subkey.
FORMAT = "1"
KEY_BYTES = 32
#: How much of a key id read from the database an error or a report shows (a local key's
#: id is 19 characters; a KMS recipe's carries its wrapped key, so it is cut).
SHOWN_KEY_ID_CHARS = 40
#: How much of a key id ``status`` and rotation's counts show (a KMS recipe's id whole).
LISTED_KEY_ID_CHARS = 1024
_KEY_ID_CHARS = frozenset(string.ascii_letters + string.digits + "-_=+/.:")
#: A key's text: 43 characters of the URL-safe alphabet and the one ``=`` of padding.
_KEY_TEXT = re.compile(r"[A-Za-z0-9_-]{43}=")


class UnknownSecretKey(StorageMisconfigured):
    """A stored envelope names a key id no configured key has (the key that sealed it was
    removed from ``secret_keys`` or the provider cannot find it)."""

    def __init__(self, key_id: str) -> None:
        shown = shown_key_id(key_id)
        super().__init__(
            f"a stored secret is sealed under key id {shown}, which no configured key has",
            hint="add that key back to secret_keys (or the key provider)",
        )
        #: The key id as read from the database, sanitised (:func:`shown_key_id`).
        self.key_id = shown


class SecretMoved(StorageError):
    """An envelope that does not open for the record, table and attribute it was read from:
    moved from another record, or altered. Never a value."""


@attrs.frozen
class DataKey:
    """A key that seals and opens envelopes: ``key_id`` is written in each envelope (text,
    never the key), ``material`` the 32 secret bytes (never in a repr)."""

    key_id: str
    material: bytes = attrs.field(repr=False)


class KeyProvider(Protocol):
    """Where data keys come from (the local keys of ``secret_keys``, or a KMS). Async, and
    expected to cache what it fetches for a bounded time."""

    async def sealing_key(self) -> DataKey:
        """The key new envelopes are sealed under (the first key, or the current data
        key)."""
        ...

    async def opening_key(self, key_id: str) -> DataKey:
        """The key ``key_id`` names; ``UnknownSecretKey`` when there is none."""
        ...


@attrs.frozen
class Envelope:
    """A sealed secret: the key id, the AEAD nonce and the ciphertext (with its tag)."""

    key_id: str
    nonce: bytes
    ciphertext: bytes

    def as_map(self) -> dict[str, str]:
        """What is stored in place of the secret attribute."""
        return {
            ENVELOPE_MARK: FORMAT,
            "aace:key": self.key_id,
            "aace:nonce": _b64(self.nonce),
            "aace:ciphertext": _b64(self.ciphertext),
        }

    @classmethod
    def of(cls, stored: Mapping[str, Any]) -> Envelope:
        """The envelope a stored map holds (``SecretMoved`` for a damaged one)."""
        try:
            if stored[ENVELOPE_MARK] != FORMAT:  # never echoed: it comes from the database
                raise SecretMoved("a stored secret has an unknown envelope format")
            return cls(
                key_id=str(stored["aace:key"]),
                nonce=base64.urlsafe_b64decode(stored["aace:nonce"]),
                ciphertext=base64.urlsafe_b64decode(stored["aace:ciphertext"]),
            )
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise SecretMoved("a stored secret is a damaged envelope") from None


def shown_key_id(key_id: object, limit: int = SHOWN_KEY_ID_CHARS) -> str:
    """A key id read from the database as errors and reports may show it: printable
    characters of a key id only (others become ``?``), and at most ``limit`` of them (a
    longer one is cut, with its length said). ``aace secrets status`` shows ids whole
    (:data:`LISTED_KEY_ID_CHARS`), so data keys whose ids share a long head stay apart."""
    text = str(key_id)
    cleaned = "".join(c if c in _KEY_ID_CHARS else "?" for c in text[:limit])
    if len(text) > limit:
        cleaned += f"… ({len(text)} characters)"
    return cleaned


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


def is_envelope(value: object) -> bool:
    """Whether a stored attribute value is an envelope (else: a secret stored in clear)."""
    return isinstance(value, Mapping) and ENVELOPE_MARK in value


def refuse_reserved(name: str, value: object) -> None:
    """Refuse a secret a caller gives whose names start with ``aace:`` (an envelope's)."""
    if isinstance(value, Mapping) and any(
        isinstance(k, str) and k.startswith(RESERVED_PREFIX) for k in value
    ):
        raise ValidationError(name, f"names starting with {RESERVED_PREFIX!r} are reserved")


def associated_data(schema: EntitySchema[Any], record: Any, attribute: str) -> bytes:
    """What an envelope is bound to: the table's base name, the record's tenant as its
    ``endpoint_id`` and ``part_id`` (stored on every tenant record and kept by the key
    migration, which re-keys on ``partition_key`` but never changes a record's tenant), the
    record's key other than its tenant, and the attribute's name. Encoded as a JSON list, so
    no two different bindings give the same bytes."""
    tenant = getattr(record, "partition_key", None)
    owner = ["platform"] if tenant is None else [tenant.endpoint_id, tenant.part_id]
    keys = [str(getattr(record, name)) for name in schema.key_fields]
    parts = ["aace-secret-v1", schema.name, *owner, *keys, attribute]
    return json.dumps(parts, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def parse_key(text: object, position: int) -> bytes:
    """The 32 bytes of a key written as URL-safe base64 (Fernet's format: 44 characters of
    the URL-safe alphabet ending in ``=``; surrounding blanks ignored), or given as its 32
    bytes; ``ValidationError`` naming ``secret_keys`` and the position, never the text.
    Strict, so two keys run together with a wrong separator are refused instead of decoded
    leniently into one (which would silently drop the other)."""
    where = f"entry {position + 1}"
    if isinstance(text, bytes) and len(text) == KEY_BYTES:
        return text  # already the key's bytes (settings evolved from parsed ones)
    if isinstance(text, bytes):
        text = text.decode("ascii", errors="replace")
    if not isinstance(text, str):
        raise ValidationError("secret_keys", f"{where} must be text, got {type(text).__name__}")
    written = text.strip()
    material = b""
    if _KEY_TEXT.fullmatch(written):
        try:
            material = base64.b64decode(written.encode("ascii"), altchars=b"-_", validate=True)
        except (binascii.Error, ValueError):
            material = b""
        if _b64(material) != written:  # stray bits in the last character: not canonical
            material = b""
    if len(material) != KEY_BYTES:
        raise ValidationError(
            "secret_keys",
            f"{where} is not a key: 32 random bytes as URL-safe base64, 44 characters "
            "(python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)))'); "
            "several keys are separated by commas",
        )
    return material


def key_id_of(material: bytes) -> str:
    """A key's id: an HMAC of a fixed label under the key, so the id names the key without
    revealing anything of it."""
    return "k1-" + hmac.new(material, b"aace key id", hashlib.sha256).hexdigest()[:16]
