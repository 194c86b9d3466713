# The integrations live in aace/application/contrib/ (this package's __path__); type checkers
# read them through these stubs under their one importable name.
from aace.application.contrib.tenants import *  # noqa: F403
from aace.application.contrib.tenants import __all__ as __all__
