"""`RateLimiter`: one per connection; every request waits on it before it starts.

An adaptive limiter (`AdaptivePolicy`) also listens to how its requests were
answered: it halves its rate on a throttle and wins it back slowly (AIMD), never
above the rate it was given. A limiter whose rate is a rolling window
(`Rate.is_window`) also tells how long until its window frees (`window_frees_in`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from rowpush.http.rate import Rate

__all__ = [
    "HOLD_NOTICE",
    "MAX_WINDOW_PAUSE",
    "MIN_WINDOW_PAUSE",
    "AdaptivePolicy",
    "Clock",
    "LimiterState",
    "RateLimiter",
    "Sleep",
]

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

MAX_WINDOW_PAUSE = 300.0
"""Longest wait for a rolling window to free up (HaloPSA's window is 5 minutes)."""
MIN_WINDOW_PAUSE = 1.0
"""Shortest such wait (or the window, if shorter): a server whose window another
client fills too is not asked again at once, every time one of our starts leaves."""

_DIGITS = 9
"""Adapted counts are rounded to this many decimals, so that ten steps of 0.1 make
1.0 and not 0.9999999999999999 (a whole count changes how `Rate` is enforced)."""


HOLD_NOTICE = 3.0
"""A request the rate holds this many seconds or more is announced (`acquire(on_hold)`):
a full rolling window can hold the rest of a job for minutes."""


@dataclass(frozen=True, slots=True)
class AdaptivePolicy:
    """How an adaptive limiter slows down on throttles and speeds up again (AIMD).

    The limiter's rate is the ceiling. Each throttle (a 429, or what the retry
    policy's `is_throttled` says) multiplies the current rate by `decrease`, but
    only a throttle of a request started after the last slow-down counts: the
    429s of one burst of concurrent requests were all sent at the old rate, so
    they slow it down once. After `quiet` seconds without a slow-down or a
    pause, and `successes` answers to requests started at the current rate, it
    adds `increase` of the ceiling, step by step, up to the ceiling.
    """

    floor: float = 0.1
    """Requests per second it never slows below (one every 10 s; or the ceiling, if
    lower). Every API's default rate is 1/s or more, so this is at least 10 times
    slower, yet still 360 requests an hour; slower would make a run look hung
    while gaining little, as Retry-After pauses stop the connection anyway."""
    decrease: float = 0.5
    """The current rate is multiplied by this on a throttle."""
    increase: float = 0.1
    """Each recovery step adds this fraction of the ceiling (10 steps: floor to top)."""
    quiet: float = 10.0
    """Seconds since the last change of rate and the end of any pause before a step."""
    successes: int = 10
    """Answers that were not throttles, to requests started since the last change of
    rate, before a step: evidence that the current rate is accepted."""

    def __post_init__(self) -> None:
        if not self.floor > 0:
            raise ValueError(f"floor must be above zero, not {self.floor!r}")
        if not 0 < self.decrease < 1:
            raise ValueError(f"decrease must be between 0 and 1, not {self.decrease!r}")
        if not 0 < self.increase <= 1:
            raise ValueError(f"increase must be above 0 and at most 1, not {self.increase!r}")
        if self.quiet < 0 or self.successes < 0:
            raise ValueError("quiet and successes cannot be negative")


@dataclass(frozen=True, slots=True)
class LimiterState:
    """A snapshot for progress displays, e.g. "rate 2.5/s (adapting)"."""

    rate: Rate | None
    """The rate the limiter was given: for an adaptive one, its ceiling."""
    in_window: int
    """Requests started within the last `rate.per` seconds (0 without a rate)."""
    waiting: int
    """Acquirers currently waiting for their turn."""
    paused_for: float
    """Seconds left of a pause (e.g. after a 429); 0.0 when not paused."""
    paused_until: float | None
    """When the pause ends, on the limiter's clock; None when not paused."""
    current_rate: Rate | None = None
    """The rate in force now: below `rate` while an adaptive limiter has slowed
    down, `rate` otherwise (None without a rate)."""
    adaptive: bool = False
    """Whether the limiter adapts its rate to throttles."""
    slowdowns: int = 0
    """How many times an adaptive limiter has slowed down."""

    @property
    def paused(self) -> bool:
        return self.paused_for > 0

    @property
    def slowed(self) -> bool:
        """An adaptive limiter below its ceiling: show "(adapting)"."""
        return self.current_rate != self.rate


class RateLimiter:
    """Never lets more requests start than `rate` allows, in any window.

    It keeps the start times of recent requests (a rolling window, so there is no
    boundary where two windows' worth can slip through) and serves waiting tasks
    first come, first served. `pause(seconds)` stops every acquirer until then;
    the transport calls it on a 429. Without a rate only pauses apply.
    `clock` and `sleep` are injectable so tests run on a fake clock.

    With `adaptive` (True, or an `AdaptivePolicy`) the rate is a ceiling and the
    rate in force (`current_rate`) follows `answered(...)`, which the transport
    calls for each answer. Every start is checked against both the ceiling and the
    current rate, over all earlier starts: neither is ever exceeded, whatever the
    current rate was when the earlier ones started.

    With a rate that is a rolling window (`Rate.is_window`), a request counts in the
    window from its start until its answer (`answered`) and for the window's length
    after that: the server saw it arrive somewhere in between, so the window never
    breaks on the server's side, whatever the latency (a first request slowed by a
    TLS handshake, say). `window_frees_in` says how long a 429 should wait.
    """

    def __init__(
        self,
        rate: Rate | None,
        *,
        adaptive: bool | AdaptivePolicy = False,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        policy = AdaptivePolicy() if adaptive is True else adaptive or None
        if policy is not None and rate is None:
            raise ValueError("an adaptive limiter needs a rate: the most it may speed up to")
        self.rate = rate
        self.adaptation: AdaptivePolicy | None = policy
        """How it adapts; None for a fixed rate."""
        self._clock = clock
        self._sleep = sleep
        self._current = rate
        self._floor = rate
        self._keep = rate.interval if rate else 0.0
        if rate is not None and policy is not None:
            self._floor = _with_count(rate, min(rate.count, policy.floor * rate.per))
            # Starts are kept for the longest window any adapted rate enforces
            # (the floor's, or the ceiling's), so a slower rate sees them all.
            self._keep = max(rate.per, rate.interval, self._floor.interval)
        self._granted: deque[float] = deque()  # starts within `_keep` seconds
        # Window rates: starts not yet answered, by ticket (in time order); an answer
        # moves its entry in `_granted` to the time of the answer.
        self._unanswered: dict[int, float] = {}
        self._recent: deque[float] = deque()  # starts within rate.per, for `state`
        self._paused_until = -float("inf")
        self._waiting = 0
        self._tickets = 0  # starts so far; each acquire gets the next number
        self._slowed_after = 0  # ticket of the last start before the last slow-down
        self._changed_after = 0  # ...before the last change of rate, either way
        self._changed_at = -float("inf")
        self._accepted = 0  # answers since the last change that were not throttles
        self._slowdowns = 0
        # Held while waiting for a turn: acquirers queue in order and only the head
        # sleeps, so a pause or a freed slot is seen by the right task first.
        self._turn = asyncio.Lock()

    async def acquire(self, on_hold: Callable[[float], None] | None = None) -> int:
        """Wait until a request may start, and count it as started.

        Returns the start's ticket (1, 2, ...) to hand to `answered` with its answer.
        `on_hold(seconds)` hears once when the rate itself (a full window, not a pause
        after a throttle) holds this request for `HOLD_NOTICE` seconds or more.
        """
        self._waiting += 1
        try:
            async with self._turn:
                told = False
                while (wait := self._wait(self._clock())) > 0:
                    held = wait >= HOLD_NOTICE and self._paused_until <= self._clock()
                    if on_hold is not None and held and not told:
                        told = True
                        on_hold(wait)
                    await self._sleep(wait)
                now = self._clock()
                self._record(now)
                self._tickets += 1
                if self.rate is not None and self.rate.is_window:
                    self._unanswered[self._tickets] = now
                return self._tickets
        finally:
            self._waiting -= 1

    def pause(self, seconds: float) -> None:
        """Hold every acquirer for `seconds` from now (never shortens a longer pause)."""
        self._paused_until = max(self._paused_until, self._clock() + max(0.0, seconds))

    def answered(self, ticket: int, *, throttled: bool) -> None:
        """Hear how the request started as `ticket` was answered; only an adaptive
        limiter acts on it: a throttle slows it down, enough others speed it up.
        A window's limiter counts the request in its window until `per` after now."""
        self._settle(ticket)
        policy = self.adaptation
        if policy is None or self.rate is None or self._current is None:
            return
        if throttled:
            # Sent before the last slow-down: sent at the old rate, already answered for.
            if ticket > self._slowed_after:
                self._slow_down(policy, self.rate, self._current)
            return
        if ticket <= self._changed_after or self._current == self.rate:
            return  # says nothing about the current rate, or nothing left to win back
        self._accepted += 1
        quiet_since = max(self._changed_at, self._paused_until)
        if self._accepted >= policy.successes and self._clock() - quiet_since >= policy.quiet:
            count = min(self.rate.count, self._current.count + policy.increase * self.rate.count)
            self._change(_with_count(self.rate, count))

    def window_frees_in(self) -> float | None:
        """Seconds until the window has room again, for a rate that is a rolling window.

        Until the oldest request in the window leaves it (the whole window when the
        limiter holds none: others filled it), from `MIN_WINDOW_PAUSE` to the window's
        length, and never over `MAX_WINDOW_PAUSE`. None when the rate is no window.
        """
        rate = self.rate
        if rate is None or not rate.is_window:
            return None
        now = self._clock()
        inside = [start for start in self._granted if start + rate.per > now]
        wait = inside[0] + rate.per - now if inside else rate.per
        return min(max(wait, MIN_WINDOW_PAUSE), rate.per, MAX_WINDOW_PAUSE)

    @property
    def current_rate(self) -> Rate | None:
        """The rate in force now: `rate`, or less while an adaptive limiter is slowed."""
        return self._current

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
            current_rate=self._current,
            adaptive=self.adaptation is not None,
            slowdowns=self._slowdowns,
        )

    def _slow_down(self, policy: AdaptivePolicy, ceiling: Rate, current: Rate) -> None:
        assert self._floor is not None
        count = max(self._floor.count, current.count * policy.decrease)
        self._change(_with_count(ceiling, count))
        self._slowed_after = self._tickets
        self._slowdowns += 1

    def _change(self, rate: Rate) -> None:
        self._current = rate
        self._changed_after = self._tickets
        self._changed_at = self._clock()
        self._accepted = 0

    def _wait(self, now: float) -> float:
        """Seconds to wait before a request may start at `now` (≤ 0: go)."""
        if self._paused_until > now:
            return self._paused_until - now
        if self.rate is None or self._current is None:
            return 0.0
        _drop_expired(self._granted, self._keep, now)
        wait = _wait_for(self._granted, self.rate, now)
        if self._current != self.rate:
            wait = max(wait, _wait_for(self._granted, self._current, now))
        return wait

    def _record(self, now: float) -> None:
        if self.rate is None:
            return
        self._granted.append(now)
        self._recent.append(now)
        _drop_expired(self._recent, self.rate.per, now)
        # Forget starts never answered (a transport error) once out of every window.
        while self._unanswered:
            oldest = next(iter(self._unanswered))
            if self._unanswered[oldest] + self._keep > now:
                break
            del self._unanswered[oldest]

    def _settle(self, ticket: int) -> None:
        """A window rate: the answered request counts from now, not from its start."""
        start = self._unanswered.pop(ticket, None)
        now = self._clock()
        if start is None or now <= start:
            return
        try:
            self._granted.remove(start)  # equal starts are interchangeable
        except ValueError:
            return  # already out of the window
        self._granted.append(now)  # no recorded time is later than now: still in order

    def __repr__(self) -> str:
        shown = str(self.rate) if self.rate else None
        if self.adaptation is None:
            return f"RateLimiter({shown!r})"
        return f"RateLimiter({shown!r}, adaptive, now {str(self._current)!r})"


def _wait_for(starts: deque[float], rate: Rate, now: float) -> float:
    """Seconds until one more start fits `rate` (≤ 0: it fits now).

    It fits when the `slots`-th latest start has left the window; the sum is the
    one `_drop_expired` uses, so the two never disagree by a rounding error.
    """
    if len(starts) < rate.slots:
        return 0.0
    return starts[-rate.slots] + rate.interval - now


def _with_count(rate: Rate, count: float) -> Rate:
    """`rate` with another count over the same window (the same object if unchanged)."""
    count = round(count, _DIGITS)
    return rate if count == rate.count else Rate(count, rate.per)


def _drop_expired(starts: deque[float], window: float, now: float) -> None:
    """Forget starts whose window has ended by `now`: they no longer count.

    Written as `start + window <= now`, the same sum `_wait` sleeps until, so
    the two never disagree by a rounding error.
    """
    while starts and starts[0] + window <= now:
        starts.popleft()
