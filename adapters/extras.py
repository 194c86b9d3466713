"""Optional extras: each backend's driver comes with an extra of ``aace-core``; a missing
one is :class:`StorageMisconfigured` naming the extra to install, never a bare ImportError."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aace.domain.errors import StorageMisconfigured

__all__ = ["install_command", "requires_extra"]


def install_command(extra: str) -> str:
    """What installs ``extra`` (quoted for a shell)."""
    return f"pip install 'aace-core[{extra}]'"


@contextmanager
def requires_extra(extra: str, what: str) -> Iterator[None]:
    """Run the block that imports ``what``'s drivers; a third-party module missing there is
    :class:`StorageMisconfigured` naming ``extra`` (a missing ``aace`` module is a bug, so it
    stays an ImportError)."""
    try:
        yield
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == "aace":
            raise
        raise StorageMisconfigured(
            f"{what} needs the {extra} extra of aace-core (module {missing!r} is not installed)",
            hint=install_command(extra),
        ) from exc
