"""What a run's connection did: requests sent, retries, throttle pauses, waits, give-ups.

The counts go to the journal's meta (summed over every session of a resumed run) and
from there to the Summary sheet of the results workbook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from rowpush.engine.journal import Journal
    from rowpush.http.transport import RetryEvent

__all__ = ["RunStats", "stats_of"]

_KIND_KEY = {"retry": "retries", "throttled": "throttled", "held": "held", "giveup": "giveups"}
_PREFIX = "stat_"


class RunStats:
    """Counters for one session of a run: fed by the client's request hook and the
    transport's retry events, added to the journal by `flush`."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = dict.fromkeys(("requests", *_KIND_KEY.values()), 0)

    def event(self, event: RetryEvent) -> None:
        self.counts[_KIND_KEY[event.kind]] += 1

    async def request(self, request: httpx.Request) -> None:
        """An httpx request hook: one per request the client sends (its retries, made
        inside the transport, are counted as retries)."""
        self.counts["requests"] += 1

    def flush(self, journal: Journal) -> None:
        """Add the counts to the journal's totals and start again from zero."""
        totals = stats_of(journal.meta())
        journal.set_meta(**{_PREFIX + k: str(totals.get(k, 0) + n) for k, n in self.counts.items()})
        self.counts = dict.fromkeys(self.counts, 0)


def stats_of(meta: Mapping[str, str]) -> dict[str, int]:
    """The run's counters as its journal's meta holds them."""
    return {
        k.removeprefix(_PREFIX): int(v)
        for k, v in meta.items()
        if k.startswith(_PREFIX) and v.isdigit()
    }
