"""aace-core: multi-tenant persistence for AI-agent platforms.

The public surface: the facade and its blocking twin, settings, tenant identity and the
errors. Entities and ports live in ``aace.domain``; adapters in ``aace.adapters``.
"""

from aace.application.blocking import BlockingAace
from aace.application.facade import Aace
from aace.application.settings import Settings, UnknownSettingWarning
from aace.domain.errors import *  # noqa: F403
from aace.domain.errors import __all__ as _errors_all
from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext

__all__ = [
    *_errors_all,
    "Aace",
    "BlockingAace",
    "PartitionKey",
    "PlatformContext",
    "Settings",
    "TenantContext",
    "UnknownSettingWarning",
]
