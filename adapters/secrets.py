"""The cryptography of secrets at rest (the ``secrets`` extra): AES-256-GCM under a subkey
derived with HKDF-SHA256 from each data key, one subkey per purpose, and the local-keys
provider of ``Settings.secret_keys``.

A key of ``secret_keys`` is never used as it is: HKDF derives from it, under a label of
its purpose, the AEAD key that seals envelopes (a key id is an HMAC under the key itself of
another fixed label, :func:`aace.domain.secrets.key_id_of`). Idempotency fingerprints take
no key: they leave secret attributes out.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from aace.adapters.extras import requires_extra
from aace.domain.secrets import DataKey, Envelope, SecretMoved, UnknownSecretKey, key_id_of

__all__ = ["LocalKeys", "derive", "open_bytes", "seal_bytes"]

#: HKDF ``info`` of the sealing subkey.
SEALING = b"aace secrets v1: AES-256-GCM"
NONCE_BYTES = 12


def _aesgcm(key: bytes) -> Any:
    with requires_extra("secrets", "secret_keys"):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    return AESGCM(key)


def derive(material: bytes, purpose: bytes) -> bytes:
    """The 32-byte subkey of ``material`` for ``purpose`` (HKDF-SHA256, no salt)."""
    with requires_extra("secrets", "secret_keys"):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(material)


def seal_bytes(key: DataKey, plaintext: bytes, associated: bytes) -> Envelope:
    """``plaintext`` sealed under ``key``, bound to ``associated``."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aesgcm(derive(key.material, SEALING)).encrypt(nonce, plaintext, associated)
    return Envelope(key_id=key.key_id, nonce=nonce, ciphertext=sealed)


def open_bytes(key: DataKey, envelope: Envelope, associated: bytes) -> bytes:
    """The plaintext of ``envelope``; ``SecretMoved`` when it was sealed for another record,
    table or attribute, or altered."""
    with requires_extra("secrets", "secret_keys"):
        from cryptography.exceptions import InvalidTag
    try:
        opened: bytes = _aesgcm(derive(key.material, SEALING)).decrypt(
            envelope.nonce, envelope.ciphertext, associated
        )
    except (InvalidTag, ValueError):
        raise SecretMoved(
            "a stored secret does not open for this record: it was moved from another "
            "record or altered"
        ) from None
    return opened


class LocalKeys:
    """The keys of ``Settings.secret_keys``: the first seals, every one opens. Nothing to
    fetch, so nothing to cache."""

    def __init__(self, materials: Sequence[bytes]) -> None:
        if not materials:
            raise ValueError("LocalKeys needs at least one key")
        self._keys = [DataKey(key_id_of(m), m) for m in materials]
        self._by_id = {k.key_id: k for k in self._keys}

    def __repr__(self) -> str:
        return f"LocalKeys({', '.join(self._by_id)})"

    @property
    def key_ids(self) -> list[str]:
        return list(self._by_id)

    async def sealing_key(self) -> DataKey:
        return self._keys[0]

    async def opening_key(self, key_id: str) -> DataKey:
        found = self._by_id.get(key_id)
        if found is None:
            raise UnknownSecretKey(key_id)
        return found
