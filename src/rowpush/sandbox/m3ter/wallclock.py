"""Wall-clock time derived from the sandbox clock, so a ``ManualClock`` moves it too."""

from __future__ import annotations

import datetime as dt
import time

from rowpush.sandbox.clock import Clock


class WallClock:
    """UTC time that advances with ``clock`` (timestamps, JWT ``iat``/``exp``)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._offset = time.time() - clock()

    def epoch(self) -> float:
        """Seconds since 1970 now."""
        return self._clock() + self._offset

    def now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.epoch(), dt.UTC)

    def iso(self) -> str:
        """Now as m3ter writes timestamps: ``2025-01-15T10:02:03Z``."""
        return iso(self.now())


def iso(moment: dt.datetime) -> str:
    """``moment`` (UTC) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(value: str) -> dt.datetime | None:
    """An ISO-8601 date-time (``T`` separated, e.g. ``2025-01-31T23:00:00Z``), or None."""
    if "T" not in value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None
