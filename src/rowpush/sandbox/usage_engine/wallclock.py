"""Wall-clock time that moves with the sandbox clock, so a ``ManualClock`` moves it too."""

from __future__ import annotations

import datetime as dt
import time

from rowpush.sandbox.clock import Clock


class WallClock:
    """UTC time for timestamps and JWT ``iat``/``exp``, advancing with ``clock``."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._offset = time.time() - clock()

    def epoch(self) -> float:
        """Seconds since 1970 now."""
        return self._clock() + self._offset

    def stamp(self) -> str:
        """Now as Usage Engine writes timestamps."""
        return stamp(dt.datetime.fromtimestamp(self.epoch(), dt.UTC))


def stamp(moment: dt.datetime) -> str:
    """``2025-01-15T10:00:00.000+00:00``: milliseconds and a numeric UTC offset (documented)."""
    utc = moment.astimezone(dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+00:00"


def parse_stamp(value: str) -> dt.datetime | None:
    """An ISO-8601 date-time with a UTC offset or ``Z`` (``T`` separated), or None."""
    if "T" not in value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
