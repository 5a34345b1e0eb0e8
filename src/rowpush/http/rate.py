"""`Rate`: how many requests a connection may start per window, parsed from text.

The text form is what users write in rowpush.toml and on the command line:
`5/s`, `2.5/s`, `100/min`, `300/5min`, `20000/5min`, `1/h`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

__all__ = ["Rate"]

_UNITS: dict[str, float] = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}

_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_PATTERN = re.compile(
    rf"^\s*(?P<count>{_NUMBER})\s*/\s*(?P<size>{_NUMBER})?\s*(?P<unit>[a-z]+)\s*$",
    re.IGNORECASE,
)

_ACCEPTED = (
    "write COUNT/UNIT or COUNT/NUMBER UNIT, e.g. 5/s, 2.5/s, 100/min, 300/5min, 1/h "
    "(units: ms, s, min, h)"
)


@dataclass(frozen=True, slots=True)
class Rate:
    """At most `count` requests started per `per` seconds.

    `count` may be fractional (`2.5/s`). How the limiter enforces it is given by
    `slots` and `interval`: long windows allow bursts, per-second rates are spread
    evenly (see `slots` and `is_window`).
    """

    count: float
    per: float
    """Length of the window in seconds."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.count) and self.count > 0):
            raise ValueError(f"a rate needs a positive count of requests, not {self.count!r}")
        if not (math.isfinite(self.per) and self.per > 0):
            raise ValueError(f"a rate needs a positive window in seconds, not {self.per!r}")

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"300/5min"` → `Rate(count=300, per=300.0)`; ValueError naming the accepted forms."""
        match = _PATTERN.match(text)
        unit = match and _UNITS.get(match["unit"].lower())
        if not match or unit is None:
            raise ValueError(f"rate {text!r} is not understood: {_ACCEPTED}")
        count = float(match["count"])
        size = float(match["size"]) if match["size"] else 1.0
        if count <= 0 or size <= 0:
            raise ValueError(f"rate {text!r} must be above zero: {_ACCEPTED}")
        return cls(count, size * unit)

    @property
    def per_second(self) -> float:
        return self.count / self.per

    @property
    def slots(self) -> int:
        """How many starts the limiter allows within any `interval` seconds.

        A whole count over a window longer than a second is enforced as is (300/5min
        lets 300 go at once, then waits: fast for small runs, never over the limit).
        Per-second rates and fractional counts are spread evenly, one start every
        `per / count` seconds, which smooths bursts and never exceeds the count in
        any window of `per` seconds. (For a fractional count that holds over the
        smallest whole number of windows: 2.5/s lets at most 5 start in any 2 s.)
        """
        return int(self.count) if self.is_window else 1

    @property
    def is_window(self) -> bool:
        """A rolling window (`300/5min`, `100/min`): a whole count over more than a second.

        Enforced as written (a burst, then waits), and an API whose rate is one is
        taken to limit by a window: a 429 there waits for the window to free up.
        """
        return self.per > 1.0 and self.count == int(self.count)

    @property
    def interval(self) -> float:
        """The window, in seconds, within which at most `slots` requests start."""
        return self.per if self.slots > 1 else self.per / self.count

    def __str__(self) -> str:
        count = f"{self.count:g}"
        for name, seconds in (("h", 3600.0), ("min", 60.0), ("s", 1.0)):
            if self.per >= seconds and (self.per / seconds).is_integer():
                size = int(self.per / seconds)
                return f"{count}/{'' if size == 1 else size}{name}"
        return f"{count}/{self.per:g}s"
