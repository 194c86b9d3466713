"""Signed listing cursors: a keyset position signed with HMAC-SHA256 over the position and
the listing's scope, so a cursor fits only the listing (and tenant) it was issued for."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from aace.domain.errors import InvalidCursor, ValidationError

__all__ = ["CursorCodec", "json_default"]


def json_default(value: object) -> str:
    """A cursor's JSON for what plain JSON lacks: datetimes as ISO 8601; anything else is
    refused."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Decode, refusing any text that is not the canonical encoding of its bytes (base64
    ignores the spare low bits of a last character, so two texts could decode alike)."""
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if _b64(data) != text:
        raise ValueError("non-canonical base64")
    return data


def _as_tuple(secrets: Iterable[bytes]) -> tuple[bytes, ...]:
    return tuple(secrets)


def _check_one_secret(value: object) -> None:
    if not isinstance(value, bytes) or len(value) < 16:
        raise ValidationError("cursor_secret", "must be at least 16 bytes")


@attrs.frozen
class CursorCodec:
    """Signs cursors with HMAC-SHA256 over the position and the listing's scope.

    The scope (tenant, entity, index, parent, range condition, order, filters) is signed but
    never written into the cursor, so a cursor reveals no tenant and fits only the listing
    it was issued for.

    ``secret`` signs; ``previous`` (older secrets, during a rotation) still verify, so
    cursors issued before a rotation keep working until those secrets are dropped.
    """

    secret: bytes = attrs.field(repr=False)
    previous: tuple[bytes, ...] = attrs.field(default=(), repr=False, converter=_as_tuple)

    @secret.validator
    def _check_secret(self, _: attrs.Attribute[bytes], value: bytes) -> None:
        _check_one_secret(value)

    @previous.validator
    def _check_previous(
        self, _: attrs.Attribute[tuple[bytes, ...]], value: tuple[bytes, ...]
    ) -> None:
        for secret in value:
            _check_one_secret(secret)

    def _mac(self, scope: bytes, payload: bytes, secret: bytes | None = None) -> bytes:
        key = self.secret if secret is None else secret
        return hmac.new(key, scope + b"\x00" + payload, hashlib.sha256).digest()

    def _verifies(self, scope: bytes, payload: bytes, mac: bytes) -> bool:
        return any(
            hmac.compare_digest(mac, self._mac(scope, payload, secret))
            for secret in (self.secret, *self.previous)
        )

    def encode(self, scope: bytes, position: Mapping[str, Any]) -> str:
        payload = json.dumps(
            position, sort_keys=True, separators=(",", ":"), default=json_default
        ).encode("utf-8")
        return f"{_b64(payload)}.{_b64(self._mac(scope, payload))}"

    def decode(self, scope: bytes, token: str) -> dict[str, Any]:
        if not isinstance(token, str) or token.count(".") != 1:
            raise InvalidCursor("malformed cursor")
        body, signature = token.split(".")
        try:
            payload, mac = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError) as exc:
            raise InvalidCursor("malformed cursor") from exc
        if not self._verifies(scope, payload, mac):
            raise InvalidCursor("cursor was not issued for this tenant and listing")
        try:
            position = json.loads(payload)
        except ValueError as exc:
            raise InvalidCursor("malformed cursor") from exc
        if not isinstance(position, dict):
            raise InvalidCursor("malformed cursor")
        return position
