"""Use cases (services), settings, wiring, the sync bridge and the CLI."""

from aace.application.container import Services, open_services
from aace.application.settings import Settings
from aace.application.sync import open_sync_services

__all__ = ["Services", "Settings", "open_services", "open_sync_services"]
