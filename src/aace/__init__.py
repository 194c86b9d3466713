"""aace-core: multi-tenant persistence for AI-agent platforms.

The public surface: the facade and its blocking twin, settings, tenant identity, the errors
and the values the services return besides entities and pages (``Loaded``, ``Health``, …).
Entities, ``Page`` and ports live in ``aace.domain``; adapters in ``aace.adapters``.

``import aace`` loads only the error tree: every other name is imported the first time it
is used (PEP 562), so a host that needs ``TenantContext`` does not pay for the services.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aace.domain.errors import *  # noqa: F403
from aace.domain.errors import __all__ as _errors_all

if TYPE_CHECKING:
    from aace.application.blocking import BlockingAace
    from aace.application.facade import Aace
    from aace.application.loader import Loaded
    from aace.application.services.mcp_servers import InternalMcp
    from aace.application.services.public_ids import PublicAgent, PublicAgentView
    from aace.application.services.threads import HistoryEntry
    from aace.application.services.usage import UsageCheck
    from aace.application.services.views import McpServerView
    from aace.application.services.wizards import SavedWizardGroup
    from aace.application.settings import Settings, UnknownSettingWarning
    from aace.domain.ports import CheckResult, Health
    from aace.domain.tenancy import PartitionKey, PlatformContext, TenantContext

#: Where each lazily imported name lives (a test keeps it equal to the imports above).
_LAZY = {
    "Aace": "aace.application.facade",
    "BlockingAace": "aace.application.blocking",
    "Loaded": "aace.application.loader",
    "InternalMcp": "aace.application.services.mcp_servers",
    "PublicAgent": "aace.application.services.public_ids",
    "PublicAgentView": "aace.application.services.public_ids",
    "HistoryEntry": "aace.application.services.threads",
    "UsageCheck": "aace.application.services.usage",
    "McpServerView": "aace.application.services.views",
    "SavedWizardGroup": "aace.application.services.wizards",
    "Settings": "aace.application.settings",
    "UnknownSettingWarning": "aace.application.settings",
    "CheckResult": "aace.domain.ports",
    "Health": "aace.domain.ports",
    "PartitionKey": "aace.domain.tenancy",
    "PlatformContext": "aace.domain.tenancy",
    "TenantContext": "aace.domain.tenancy",
}

__all__ = [
    *_errors_all,
    "Aace",
    "BlockingAace",
    "CheckResult",
    "Health",
    "HistoryEntry",
    "InternalMcp",
    "Loaded",
    "McpServerView",
    "PartitionKey",
    "PlatformContext",
    "PublicAgent",
    "PublicAgentView",
    "SavedWizardGroup",
    "Settings",
    "TenantContext",
    "UnknownSettingWarning",
    "UsageCheck",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aace' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
