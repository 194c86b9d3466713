"""The test kit's public name: ``pytest_plugins = ["aace.testing"]`` or ``-p aace.testing``.

A thin re-export of :mod:`aace.application.testing`, which holds the plugin (fixtures,
markers, options) and the recipe for running a suite on SQLite or DynamoDB Local.
"""

from aace.application.testing import *  # noqa: F403
from aace.application.testing import __all__ as __all__
