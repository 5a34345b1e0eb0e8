"""A rolling-window rate limiter: at most N requests in any span of W seconds."""

from __future__ import annotations

import math
from collections import deque

from rowpush.sandbox.clock import Clock
from rowpush.sandbox.options import RateWindow


class RollingWindowLimiter:
    """Counts admitted requests; rejected ones are not counted, so a client that waits recovers.

    The window is passed on each call because options may change while the server runs.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._admitted: deque[float] = deque()

    def admit(self, window: RateWindow) -> float | None:
        """Admit one request now, or return the seconds until a slot frees up."""
        now = self._clock()
        while self._admitted and self._admitted[0] <= now - window.seconds:
            self._admitted.popleft()
        if len(self._admitted) < window.limit:
            self._admitted.append(now)
            return None
        # The oldest admitted request leaves the window first.
        return self._admitted[-window.limit] + window.seconds - now

    def reset(self) -> None:
        """Forget every admitted request."""
        self._admitted.clear()


def retry_after_seconds(wait: float) -> int:
    """Whole seconds for a ``Retry-After`` header, never 0 (0 invites an instant retry)."""
    return max(1, math.ceil(wait))
