"""``secret_keys``: parsed from code, ``AACE_SECRET_KEYS`` and TOML; a malformed key is a
``ValidationError`` naming the setting without echoing it; keys never show in reprs; key
ids reveal nothing of the key; a cached provider asks its source once per period."""

from __future__ import annotations

import base64
import os
import sys
from typing import Any

import anyio
import pytest

from aace.adapters.secrets import LocalKeys
from aace.application.secrets import CachedKeys
from aace.application.settings import Settings
from aace.domain.errors import ValidationError
from aace.domain.secrets import DataKey, UnknownSecretKey, key_id_of
from tests.secrets.conftest import new_key

pytestmark = pytest.mark.anyio


def test_keys_come_from_code_the_environment_and_toml(tmp_path: os.PathLike[str]) -> None:
    first, second = new_key(), new_key()
    expected = (base64.urlsafe_b64decode(first), base64.urlsafe_b64decode(second))
    assert Settings(secret_keys=[first, second]).secret_keys == expected
    assert Settings(secret_keys=first).secret_keys == expected[:1]
    loaded = Settings.load(environ={"AACE_SECRET_KEYS": f"{first},{second}"})
    assert loaded.secret_keys == expected
    path = os.path.join(tmp_path, "aace.toml")
    with open(path, "w") as file:
        file.write(f'secret_keys = ["{first}", "{second}"]\n')
    assert Settings.load(config=path, environ={}).secret_keys == expected


@pytest.mark.parametrize(
    "bad", ["not-a-key-at-all-but-long-enough", base64.urlsafe_b64encode(b"x" * 31).decode(), 7]
)
def test_a_malformed_key_is_refused_by_name_without_echoing_it(bad: object) -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(secret_keys=[new_key(), bad])
    assert raised.value.field == "secret_keys"
    assert "entry 2" in str(raised.value)
    assert str(bad) not in str(raised.value)


def _malformed(key: str, old: str) -> list[str]:
    """Two keys run together (a wrong separator), or a key with a character outside the
    URL-safe alphabet: each decoded leniently to 32 bytes, silently dropping a key."""
    return [
        key + " " + old,
        key + ";" + old,
        key + old,
        key + "\n" + old,
        key[:20] + "!!" + key[20:],
    ]


def test_keys_run_together_or_with_foreign_characters_are_refused() -> None:
    key, old = new_key(), new_key()
    for bad in _malformed(key, old):
        with pytest.raises(ValidationError) as raised:
            Settings(secret_keys=[bad])
        assert raised.value.field == "secret_keys"
        assert "entry 1" in str(raised.value)
        assert key not in str(raised.value)
        assert old not in str(raised.value)
        assert key[:20] not in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        Settings.load(environ={"AACE_SECRET_KEYS": f"{key} {old}"})
    assert raised.value.field == "secret_keys"
    material = b"\xfb\xff" * 16  # "+" and "/" in the standard alphabet, "-" and "_" in Fernet's
    assert Settings(secret_keys=[base64.urlsafe_b64encode(material)]).secret_keys == (material,)
    with pytest.raises(ValidationError):
        Settings(secret_keys=[base64.b64encode(material).decode()])
    with pytest.raises(ValidationError):
        Settings(secret_keys=[key.rstrip("=")])  # unpadded
    assert Settings(secret_keys=[f" {key}\n"]).secret_keys == (base64.urlsafe_b64decode(key),)


def test_keys_or_a_provider_without_the_secrets_extra_are_refused_by_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = LocalKeys([os.urandom(32)])
    monkeypatch.setitem(sys.modules, "cryptography", None)  # as if it were not installed
    cases: list[tuple[dict[str, Any], str]] = [
        ({"secret_keys": [new_key()]}, "secret_keys"),
        ({"key_provider": provider}, "key_provider"),
    ]
    for given, name in cases:
        with pytest.raises(ValidationError) as raised:
            Settings(**given)
        assert raised.value.field == name
        assert "aace-core[secrets]" in str(raised.value)


def test_keys_never_show_in_reprs() -> None:
    key = new_key()
    settings = Settings(secret_keys=[key])
    provider = LocalKeys(settings.secret_keys)
    material = base64.urlsafe_b64decode(key)
    for shown in (repr(settings), repr(provider), repr(DataKey("id", material))):
        assert key not in shown
        assert repr(material) not in shown


def test_a_key_id_is_stable_and_not_the_key() -> None:
    material = os.urandom(32)
    assert key_id_of(material) == key_id_of(material)
    assert material.hex()[:16] not in key_id_of(material)
    assert key_id_of(material) != key_id_of(os.urandom(32))


async def test_a_cached_provider_fetches_once_per_period_and_names_unknown_ids() -> None:
    calls: list[str] = []
    inner = LocalKeys([os.urandom(32)])
    now = [0.0]

    class Counting:
        async def sealing_key(self) -> DataKey:
            calls.append("seal")
            return await inner.sealing_key()

        async def opening_key(self, key_id: str) -> DataKey:
            calls.append(key_id)
            return await inner.opening_key(key_id)

    cached = CachedKeys(Counting(), seconds=60, clock=lambda: now[0])
    key = await cached.sealing_key()
    assert await cached.opening_key(key.key_id) == key
    await cached.sealing_key()
    assert calls == ["seal"]
    now[0] = 61.0
    await cached.opening_key(key.key_id)
    assert calls == ["seal", key.key_id]
    with pytest.raises(UnknownSecretKey) as raised:
        await cached.opening_key("k1-0000000000000000")
    assert "k1-0000000000000000" in str(raised.value)


async def test_a_cached_provider_fetches_once_for_callers_that_miss_at_once() -> None:
    """Single flight: five callers missing the same key wait for one fetch."""
    calls: list[str] = []
    gate = anyio.Event()
    inner = LocalKeys([os.urandom(32)])
    key_id = inner.key_ids[0]

    class Slow:
        async def sealing_key(self) -> DataKey:
            calls.append("seal")
            await gate.wait()
            return await inner.sealing_key()

        async def opening_key(self, key_id: str) -> DataKey:
            calls.append(key_id)
            await gate.wait()
            return await inner.opening_key(key_id)

    got: list[DataKey] = []

    async def seal(cached: CachedKeys) -> None:
        got.append(await cached.sealing_key())

    async def open_(cached: CachedKeys) -> None:
        got.append(await cached.opening_key(key_id))

    for call, expected in ((seal, "seal"), (open_, key_id)):
        calls.clear()
        gate = anyio.Event()
        cached = CachedKeys(Slow(), seconds=60, clock=lambda: 0.0)
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(call, cached)
            await anyio.wait_all_tasks_blocked()
            gate.set()
        assert calls == [expected]
    assert {k.key_id for k in got} == {key_id}
    assert len(got) == 10
