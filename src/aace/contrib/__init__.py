"""Framework integrations: ``aace.contrib.fastapi``, ``aace.contrib.starlette``,
``aace.contrib.litestar`` and ``aace.contrib.aws_lambda``; each needs its framework (the
extra of the same name).

The modules live in ``aace/application/contrib/`` (the application layer, whose import
contracts they follow); this package is their one name. Its path is computed from this
file, so it holds in a checkout (``src/aace/application`` links to ``application/``) and in
an installed wheel alike. ``aace.application.contrib`` refuses to be imported.
"""

from pathlib import Path

__path__ = [str(Path(__file__).parent.parent / "application" / "contrib")]
