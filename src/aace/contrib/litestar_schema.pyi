# The integrations live in aace/application/contrib/ (aace.contrib's __path__): type checkers
# read them through these stubs, under their one name. Only type checkers: run as code (as
# pdoc does), a stub imports nothing, since aace.application.contrib refuses to load.
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from aace.application.contrib.litestar_schema import *  # noqa: F403
    from aace.application.contrib.litestar_schema import __all__ as __all__
