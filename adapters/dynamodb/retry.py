"""Capped exponential backoff with jitter, shared by every retry loop of the adapter."""

from __future__ import annotations

import random

import attrs

__all__ = ["Backoff"]


@attrs.frozen
class Backoff:
    """Delays of ``min(cap, base * 2**attempt)`` with "equal jitter": each delay lies in
    ``[d/2, d]``, so retries spread out yet always wait longer as attempts grow."""

    base: float
    cap: float
    attempts: int

    def ceiling(self, attempt: int) -> float:
        return float(min(self.cap, self.base * 2**attempt))

    def delay(self, attempt: int) -> float:
        ceiling = self.ceiling(attempt)
        return ceiling / 2 + random.uniform(0, ceiling / 2)
