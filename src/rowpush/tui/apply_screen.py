"""The apply screen: progress, speed, ETA, outcomes, rate-limit state, latest failures.

The work is the engine's (`Applier.send`, in an async worker on the app's loop); this
screen only counts what its callbacks report. Cancel (escape / ctrl+c) sets the stop
event: requests in flight finish, nothing new starts, and the results workbook still
records every row (the ones never sent as `skipped`).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, ProgressBar, Static

from rowpush.engine.callbacks import Callbacks
from rowpush.errors import RowpushError
from rowpush.model import Outcome, Status
from rowpush.tui.render import OUTCOME_STYLE, apply_stats

if TYPE_CHECKING:
    from rowpush.http.transport import RetryEvent
    from rowpush.tui.sources import Applier

__all__ = ["ApplyScreen"]

LATEST_FAILURES = 6


class _Progress(Callbacks):
    """The engine's callbacks, counted for the screen (called on the app's own loop)."""

    def __init__(self, screen: ApplyScreen) -> None:
        self.screen = screen

    def sending(self, total: int) -> None:
        self.screen.total = total
        self.screen.refresh_stats()

    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        self.screen.add_outcomes(outcomes)

    def retry_event(self, event: RetryEvent) -> None:
        self.screen.note_event(event)


class ApplyScreen(Screen[None]):
    """What an apply is doing right now, and what it did once finished."""

    DEFAULT_CSS = """
    ApplyScreen #header { height: auto; padding: 0 1; background: $primary-background; }
    ApplyScreen #progress { margin: 1 1 0 1; }
    ApplyScreen #stats, ApplyScreen #outcomes, ApplyScreen #limit { height: 1; padding: 0 1; }
    ApplyScreen #limit { color: $warning; }
    ApplyScreen #failures { height: 1fr; padding: 0 1; border-top: solid $error; }
    ApplyScreen #done { height: auto; padding: 0 1; text-style: bold; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+c", "cancel", "Cancel", show=False, priority=True),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        applier: Applier,
        *,
        heading: str,
        only: Collection[int] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__()
        self.applier = applier
        self.heading = heading
        self.only = only
        self._clock = clock
        self.stop = asyncio.Event()
        self.total = 0
        self.done = 0
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.failures: deque[str] = deque(maxlen=LATEST_FAILURES)
        self.started: float | None = None
        self.ended: float | None = None
        self.paused_until: float | None = None
        self.pause_note = ""
        self.window_note = ""
        self.final: dict[str, int] | None = None
        """The counts by final status once the run ended (the results workbook's)."""
        self.error: str | None = None

    def clock(self) -> float:
        if self._clock is not None:
            return self._clock()
        app_clock: Callable[[], float] = getattr(self.app, "clock", time.monotonic)
        return app_clock()

    def compose(self) -> ComposeResult:
        yield Static(self.heading, id="header", markup=False)
        yield ProgressBar(id="progress", show_eta=False)
        yield Static("", id="stats")
        yield Static("", id="outcomes")
        yield Static("", id="limit")
        yield Static("", id="done")
        yield Static("No failures.", id="failures", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.started = self.clock()
        self.refresh_stats()
        self.set_interval(0.5, self.refresh_stats)
        self.run_worker(self._apply(), name="apply", exclusive=True)

    async def _apply(self) -> None:
        try:
            self.final = await self.applier.send(_Progress(self), self.only, self.stop)
        except RowpushError as exc:
            self.error = exc.message
        finally:
            self.ended = self.clock()
            self._finish()

    # -- what the engine reports ------------------------------------------------------

    def add_outcomes(self, outcomes: Sequence[Outcome]) -> None:
        for outcome in outcomes:
            self.done += 1
            self.counts[outcome.status] += 1
            if outcome.status is Status.FAILED:
                code = f" {outcome.http_status}" if outcome.http_status else ""
                self.failures.append(f"row {outcome.row}{code}: {outcome.message}")
        self.refresh_stats()

    def note_event(self, event: RetryEvent) -> None:
        if event.kind == "throttled":
            self.paused_until = self.clock() + event.wait
            self.pause_note = f"on {event.status or 'throttle'}"
            self.window_note = event.describe() if event.until is not None else ""
        self.refresh_stats()

    # -- drawing ----------------------------------------------------------------------

    def refresh_stats(self) -> None:
        if not self.is_mounted:
            return
        now = self.ended if self.ended is not None else self.clock()
        elapsed = now - (now if self.started is None else self.started)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=max(self.total, 1), progress=self.done)
        self.query_one("#stats", Static).update(apply_stats(self.done, self.total, elapsed))
        parts = [
            Text(f"{status.value} {n}", style=OUTCOME_STYLE[status])
            for status, n in self.counts.items()
            if n or status in (Status.CREATED, Status.UPDATED, Status.FAILED)
        ]
        line = Text("  ").join(parts)
        line.no_wrap, line.overflow = True, "ellipsis"  # one line at 80 columns
        self.query_one("#outcomes", Static).update(line)
        limit = ""
        if self.paused_until is not None and self.ended is None:
            left = self.paused_until - self.clock()
            if left > 0 and self.window_note:
                limit = f"rate limit: {self.window_note}"
            elif left > 0:
                limit = f"rate limit: paused {left:.0f} s {self.pause_note}"
        self.query_one("#limit", Static).update(limit)
        if self.failures:
            self.query_one("#failures", Static).update(
                "Latest failures:\n" + "\n".join(self.failures)
            )

    def _finish(self) -> None:
        self.refresh_stats()
        done = self.query_one("#done", Static)
        if self.error:
            done.update(Text(f"Stopped: {self.error}", style="bold red"))
        elif self.final is not None:
            counts = ", ".join(f"{n} {s}" for s, n in self.final.items() if n)
            verb = "Cancelled" if self.stop.is_set() else "Done"
            done.update(f"{verb}: {counts}. Results: {self.applier.results}   (q quits)")
        self.app.refresh_bindings()

    # -- keys -------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.ended is None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return self.running and not self.stop.is_set()
        if action == "quit":
            return not self.running
        return True

    def action_cancel(self) -> None:
        if self.running and not self.stop.is_set():
            self.stop.set()
            self.query_one("#done", Static).update(
                "Cancelling: requests in flight finish, nothing new is sent…"
            )
            self.app.refresh_bindings()

    def action_quit(self) -> None:
        if not self.running:
            self.app.exit()
