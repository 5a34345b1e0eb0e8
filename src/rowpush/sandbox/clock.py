"""Clocks: the sandbox reads time through a callable so tests can move it by hand."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns monotonic seconds. ``time.monotonic`` in production."""

monotonic: Clock = time.monotonic


class ManualClock:
    """A clock that only moves when told to; pass it to ``create_app(clock=...)`` in tests."""

    def __init__(self, start: float = 1_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward (token expiry, rate windows)."""
        self.now += seconds
