"""Fault injection: which fault, if any, a request gets, from seeded dice.

One roll per request picks at most one fault, so the rates add up: ``fail_rate`` 0.2,
``throttle_rate`` 0.1, ``timeout_rate`` 0.05 and ``drop_rate`` 0.02 fault 37% of requests.
What each fault does to the request is the gateway's business (``gateway.py``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from rowpush.sandbox.options import SandboxOptions

FAULT_STATUSES = (500, 502, 503)


class FaultKind(StrEnum):
    """What an injected fault does; each has a ``SandboxOptions`` rate."""

    ERROR = "error"
    """A 500/502/503 before the API runs (``fail_rate``)."""
    THROTTLE = "throttle"
    """The API's throttle answer before the API runs (``throttle_rate``)."""
    TIMEOUT = "timeout"
    """No answer for ``hang_seconds`` and the API never runs (``timeout_rate``)."""
    DROP = "drop"
    """The API runs, then the connection closes mid-answer (``drop_rate``)."""


RATE_OF_KIND = {
    "fail_rate": FaultKind.ERROR,
    "throttle_rate": FaultKind.THROTTLE,
    "timeout_rate": FaultKind.TIMEOUT,
    "drop_rate": FaultKind.DROP,
}
"""``SandboxOptions.fault_rates()`` names -> the fault each rate injects."""


@dataclass(frozen=True)
class Fault:
    """The fault one request gets."""

    kind: FaultKind
    status: int | None = None
    """For ``ERROR``: the 5xx to answer."""


class FaultDice:
    """Seeded dice, so a run with the same seed faults the same requests the same way."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(seed)

    def reseed(self, seed: int | str) -> None:
        """Start the sequence of rolls again."""
        self._rng.seed(seed)

    def roll(self, options: SandboxOptions) -> Fault | None:
        """The fault for the next request, or None to let it through.

        No dice are thrown while every rate is 0, and a 5xx draws its status only after
        the roll, so runs with ``fail_rate`` alone repeat the rolls they always had.
        """
        rates = options.fault_rates()
        if sum(rates.values()) <= 0.0:
            return None
        draw = self._rng.random()
        for name, rate in rates.items():
            if draw < rate:
                kind = RATE_OF_KIND[name]
                if kind is FaultKind.ERROR:
                    return Fault(kind, self._rng.choice(FAULT_STATUSES))
                return Fault(kind)
            draw -= rate
        return None
