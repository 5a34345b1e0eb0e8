"""Fakes and checks shared by the http tests (a module of its own: `conftest` names
clash across folders)."""

from __future__ import annotations

import asyncio
from fractions import Fraction
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rowpush.http.rate import Rate

EPSILON = 1e-9  # evenly spaced starts add up in floating point


class FakeClock:
    """`clock()` reads the time; `await clock.sleep(s)` moves it on by `s` at once.

    Sleeps are recorded so tests can assert how long the code chose to wait.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)  # let other tasks run, as a real sleep would

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limit_holds(starts: list[float], rate: Rate) -> bool:
    """No window of the rate's length holds more starts than the rate's count.

    A fractional count is checked over the smallest whole number of windows
    (2.5/s: at most 5 in any 2 s), as any 1 s holding at most 2 would average 2/s.
    """
    windows = Fraction(rate.count).limit_denominator(1000).denominator
    return most_in_any_window(starts, rate.per * windows) <= rate.count * windows


def most_in_any_window(starts: list[float], window: float) -> int:
    """The largest number of starts within any half-open window [t, t + window)."""
    return max(
        sum(1 for other in starts if start <= other < start + window - EPSILON) for start in starts
    )
