"""Fault injection: random server errors, decided before a request touches any state."""

from __future__ import annotations

import random

FAULT_STATUSES = (500, 502, 503)


class FaultDice:
    """Seeded dice, so a run with the same seed fails the same requests."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(seed)

    def reseed(self, seed: int | str) -> None:
        """Start the sequence of rolls again."""
        self._rng.seed(seed)

    def roll(self, fail_rate: float) -> int | None:
        """The status of an injected failure, or None to let the request through."""
        if fail_rate <= 0.0:
            return None
        if self._rng.random() >= fail_rate:
            return None
        return self._rng.choice(FAULT_STATUSES)
