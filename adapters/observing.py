"""What the adapters tell an observer: storage requests, retries, throttles, cache outcomes.

Adapters import no telemetry library. A traced service call (``aace.application.telemetry``)
puts its :class:`Observer` in :data:`OBSERVER` for the time of the call; request points read
it (one context-variable lookup, ``None`` when telemetry is off or no call is traced) and
report to it. Notable events are logged too, whatever the telemetry: :func:`report` writes
the ``aace.*`` logger's record (structured, ``extra=``) and counts the event. Attributes and
log fields name tables, operations and error types only, never a record value or a secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Protocol

__all__ = [
    "CACHE_LOOKUPS",
    "IDEMPOTENT_REPLAYS",
    "LOST_RACES",
    "OBSERVER",
    "RETRIES",
    "THROTTLES",
    "Finish",
    "Observer",
    "error_type",
    "report",
    "request_started",
]

#: Counter names (the metrics' names; also the ``aace_event`` field of the log records).
CACHE_LOOKUPS = "aace.cache.lookups"
RETRIES = "aace.retries"
THROTTLES = "aace.throttles"
LOST_RACES = "aace.lost_races"
IDEMPOTENT_REPLAYS = "aace.idempotent_replays"

#: Ends a storage request: called once with the error it failed with, or ``None``.
Finish = Callable[[BaseException | None], None]


class Observer(Protocol):
    """Receives one traced service call's storage requests and events."""

    def request(self, system: str, operation: str, tables: Sequence[str]) -> Finish:
        """A storage request starts (``system``: the ``db.system.name``; ``tables``: the
        tables it names); the returned function ends it."""
        ...

    def count(self, metric: str, attributes: Mapping[str, str], amount: int = 1) -> None:
        """``amount`` more of ``metric`` (one of this module's counter names)."""
        ...


#: The observer of the service call running in this context (``None``: nothing observes).
OBSERVER: ContextVar[Observer | None] = ContextVar("aace_observer", default=None)


def error_type(error: BaseException | None) -> str:
    """An error's ``error.type``: the service's error code where it gives one (DynamoDB's
    ``ThrottlingException``), else the class name; never the message."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if isinstance(code, str) and code:
            return code
    return type(error).__qualname__


def _ignore(_: BaseException | None) -> None:
    """The :data:`Finish` of a request nobody observes."""


def request_started(system: str, operation: str, tables: Sequence[str]) -> Finish:
    """Tell the current observer (if any) that a storage request starts."""
    observer = OBSERVER.get()
    if observer is None:
        return _ignore
    return observer.request(system, operation, tables)


def report(
    logger: logging.Logger | None,
    level: int,
    message: str,
    metric: str,
    fields: Mapping[str, str],
    *,
    amount: int = 1,
) -> None:
    """Count ``amount`` of ``metric`` for the current observer and, with a ``logger``, log
    ``message`` at ``level`` with ``fields`` (and ``aace_event``: the metric) as extras."""
    observer = OBSERVER.get()
    if observer is not None:
        observer.count(metric, fields, amount)
    if logger is not None and logger.isEnabledFor(level):
        logger.log(level, message, extra={"aace_event": metric, **fields})
