"""The ``aace`` console script's entry point: loads the command (typer, rich) only once it
knows they are installed, so an install without the ``cli`` extra gets one line naming it."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from aace.adapters.extras import requires_extra
from aace.domain.errors import StorageMisconfigured

__all__ = ["main"]

#: Exit code of a failure at run time (as the command's own, :mod:`aace.application.cli`).
FAILURE = 1


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``aace`` command; without its extra, say which one to install and exit 1."""
    try:
        with requires_extra("cli", "the aace command"):
            from aace.application.cli import main as run
    except StorageMisconfigured as exc:
        print(f"aace: error: {exc}; {exc.hint}", file=sys.stderr)
        raise SystemExit(FAILURE) from None
    run(argv)


if __name__ == "__main__":
    main()
