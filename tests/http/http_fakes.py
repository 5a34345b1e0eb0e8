"""Fakes shared by the http tests (a module of its own: `conftest` names clash across folders)."""

from __future__ import annotations

import asyncio


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
