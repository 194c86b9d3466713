"""Use cases (services), settings, wiring, the facade and its blocking twin, the CLI."""

from aace.application.blocking import Blocking, BlockingAace
from aace.application.facade import Aace
from aace.application.settings import Settings, UnknownSettingWarning

__all__ = ["Aace", "Blocking", "BlockingAace", "Settings", "UnknownSettingWarning"]
