"""aace-core: multi-tenant persistence for AI-agent platforms.

The public surface: the facade, its settings, tenant identity and the errors. Everything
else lives in ``aace.domain`` (entities, ports), ``aace.adapters`` and ``aace.application``.
"""

from aace.application.settings import Settings
from aace.domain.errors import *  # noqa: F403
from aace.domain.errors import __all__ as _errors_all
from aace.domain.tenancy import PartitionKey, TenantContext

__all__ = [*_errors_all, "PartitionKey", "Settings", "TenantContext"]
