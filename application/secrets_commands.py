"""What ``aace secrets rotate`` and ``aace secrets status`` do and print (the options are
declared in :mod:`aace.application.cli`). Rotation exits 1 when, at its end, some record
is not under the first key as far as it knows: records it could not open, or (when an
earlier run had finished the job) records ``status`` finds clear or under other key ids."""

from __future__ import annotations

import asyncio
from typing import Any

import attrs
import typer

from aace.application.container import open_store
from aace.application.settings import Settings
from aace.domain.fields import utc_now

__all__ = ["rotation_lines", "secrets_rotate", "secrets_status_lines", "status_lines"]

FAILURE = 1


def secrets_rotate(settings: Settings, *, page_size: int, restart: bool) -> int:
    """Run the rotation, print what it did, and answer the exit status."""
    from aace.application.secrets import SecretBox
    from aace.application.secrets_rotation import rotate_secrets

    async def work() -> Any:
        store = await open_store(attrs.evolve(settings, cache_url=None, initialize="verify"))
        try:
            return await rotate_secrets(
                store,
                SecretBox.of(settings),
                page_size=page_size,
                restart=restart,
                clock=settings.clock or utc_now,
            )
        finally:
            await store.close()

    done = asyncio.run(work())
    for line in rotation_lines(done):
        typer.echo(line)
    return 0 if done.complete else FAILURE


def secrets_status_lines(settings: Settings) -> list[str]:
    """Count the stored secrets per table and key id, as ``status`` prints them."""
    from aace.application.secrets_rotation import secrets_status

    async def work() -> dict[str, dict[str, int]]:
        store = await open_store(attrs.evolve(settings, cache_url=None, initialize="verify"))
        try:
            return await secrets_status(store)
        finally:
            await store.close()

    return status_lines(asyncio.run(work()))


def status_lines(found: dict[str, dict[str, int]]) -> list[str]:
    """``<table>: <key id> <count>, …`` per table (``none`` for a table without secrets)."""
    lines = []
    for table, counts in found.items():
        shown = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
        lines.append(f"{table}: {shown or 'none'}")
    return lines


def rotation_lines(done: Any) -> list[str]:
    """What a :class:`~aace.application.secrets_rotation.Rotation` tells the operator."""
    lines = []
    if done.finished_at is not None:
        lines.append(
            f"rotation under {done.key_id} finished earlier at {done.finished_at}, nothing to "
            "do; its counts follow (`--restart` runs it again from the start)"
        )
    for table, counts in done.tables.items():
        shown = ", ".join(f"{name} {count}" for name, count in counts.items())
        lines.append(f"{table}: {shown} (now under {done.key_id})")
    if done.unreadable:
        shown = ", ".join(f"{why} {count}" for why, count in sorted(done.unreadable.items()))
        lines.append(
            f"unreadable records left as they were: {shown}. Add a missing key to "
            "AACE_SECRET_KEYS (after the first) and run `aace secrets rotate --restart`; an "
            "envelope moved or altered never opens: set that server's headers again"
        )
    if done.elsewhere:
        found = "; ".join(status_lines(done.elsewhere))
        lines.append(
            f"status finds secrets not under {done.key_id} (written since the job finished): "
            f"{found}; run `aace secrets rotate --restart` to seal them"
        )
    elif done.finished_at is not None:
        lines.append(f"status finds every secret under {done.key_id}")
    lines.append(done.note)
    return lines
