"""`RateLimiter`: one per connection; every request waits on it before it starts."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rowpush.http.rate import Rate

__all__ = ["Clock", "LimiterState", "RateLimiter", "Sleep"]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LimiterState:
    """A snapshot for progress displays."""

    rate: Rate | None
    in_window: int
    """Requests started within the last `rate.per` seconds (0 without a rate)."""
    waiting: int
    """Acquirers currently waiting for their turn."""
    paused_for: float
    """Seconds left of a pause (e.g. after a 429); 0.0 when not paused."""
    paused_until: float | None
    """When the pause ends, on the limiter's clock; None when not paused."""

    @property
    def paused(self) -> bool:
        return self.paused_for > 0


class RateLimiter:
    """Never lets more requests start than `rate` allows, in any window.

    It keeps the start times of recent requests (a rolling window, so there is no
    boundary where two windows' worth can slip through) and serves waiting tasks
    first come, first served. `pause(seconds)` stops every acquirer until then;
    the transport calls it on a 429. Without a rate only pauses apply.
    `clock` and `sleep` are injectable so tests run on a fake clock.
    """

    def __init__(
        self,
        rate: Rate | None,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._slots = rate.slots if rate else 0
        self._interval = rate.interval if rate else 0.0
        self._granted: deque[float] = deque()  # starts within the enforcement interval
        self._recent: deque[float] = deque()  # starts within rate.per, for `state`
        self._paused_until = -float("inf")
        self._waiting = 0
        # Held while waiting for a turn: acquirers queue in order and only the head
        # sleeps, so a pause or a freed slot is seen by the right task first.
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until a request may start, and count it as started."""
        self._waiting += 1
        try:
            async with self._turn:
                while (wait := self._wait(self._clock())) > 0:
                    await self._sleep(wait)
                self._record(self._clock())
        finally:
            self._waiting -= 1

    def pause(self, seconds: float) -> None:
        """Hold every acquirer for `seconds` from now (never shortens a longer pause)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    @property
    def state(self) -> LimiterState:
        now = self._clock()
        if self.rate is not None:
            _drop_expired(self._recent, self.rate.per, now)
        paused_for = max(0.0, self._paused_until - now)
        return LimiterState(
            rate=self.rate,
            in_window=len(self._recent),
            waiting=self._waiting,
            paused_for=paused_for,
            paused_until=self._paused_until if paused_for > 0 else None,
        )

    def _wait(self, now: float) -> float:
        """Seconds to wait before a request may start at `now` (≤ 0: go)."""
        if self._paused_until > now:
            return self._paused_until - now
        if self.rate is None:
            return 0.0
        _drop_expired(self._granted, self._interval, now)
        if len(self._granted) < self._slots:
            return 0.0
        return self._granted[0] + self._interval - now

    def _record(self, now: float) -> None:
        if self.rate is None:
            return
        self._granted.append(now)
        self._recent.append(now)
        _drop_expired(self._recent, self.rate.per, now)

    def __repr__(self) -> str:
        return f"RateLimiter({str(self.rate) if self.rate else None!r})"


def _drop_expired(starts: deque[float], window: float, now: float) -> None:
    """Forget starts whose window has ended by `now`: they no longer count.

    Written as `start + window <= now`, the same sum `_wait` sleeps until, so
    the two never disagree by a rounding error.
    """
    while starts and starts[0] + window <= now:
        starts.popleft()
