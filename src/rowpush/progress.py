"""Progress on the terminal for the CLI: the apply bar, its confirmation prompt, and the
planning counter. A face module: it draws what the engine reports through Callbacks.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from rowpush.engine.callbacks import Callbacks
from rowpush.model import Change, Outcome, Status
from rowpush.sheets.size import estimate_rows

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine.prepare import Prepared
    from rowpush.http.transport import RetryEvent

__all__ = [
    "ConsoleCallbacks",
    "Counter",
    "ExportProgress",
    "PlanProgress",
    "WindowNotices",
    "is_quiet",
    "set_quiet",
]

_quiet = False


def set_quiet(quiet: bool) -> None:
    """`rowpush --quiet`: no progress, notices or warnings on stderr (errors still show)."""
    global _quiet
    _quiet = quiet


def is_quiet() -> bool:
    return _quiet


class WindowNotices:
    """Long waits for a rate window, a line each on stderr ("waiting until 14:05:12
    (HaloPSA rolling window is full)"): minutes with no other sign of life otherwise."""

    def __init__(self) -> None:
        self._told = ""

    def __call__(self, event: RetryEvent) -> None:
        # requests in flight meet the same full window: one line for the one wait
        line = event.describe() if event.until is not None else ""
        if not line or line == self._told or _quiet:
            return
        self._told = line
        print(line, file=sys.stderr, flush=True)


class ConsoleCallbacks(Callbacks):
    """Apply progress on stderr (a bar when it is a terminal) and the confirmation prompt."""

    def __init__(self, prep: Prepared, conn: Connection, *, ask: bool) -> None:
        self.prep = prep
        self.conn = conn
        self.ask = ask
        self.tty = sys.stderr.isatty() and not _quiet
        self.done = 0
        self.total = 0
        self.failed = 0
        self._progress: Any = None
        self._task: Any = None
        self._notices = WindowNotices()
        self._planning: Counter | None = None

    each_change = False  # the counter only counts

    def planned(self, change: Change) -> None:
        self.planned_rows(1)

    def planned_rows(self, count: int) -> None:
        if self._planning is None:
            self._planning = PlanProgress(self.prep)
        self._planning.update(self._planning.count + count)

    def confirm(self, counts: dict[str, int]) -> bool:
        target = self.prep.target
        url = target.api.base_url(self.conn)
        question = (
            f"Apply {counts['update']} update(s) and {counts['create']} create(s) "
            f"to {target.name} on '{self.conn.name}' ({url})?"
        )
        if counts.get("stale"):
            question += f" ({counts['stale']} stale row(s), changed since the plan: not sent.)"
        self._end_planning()
        if not self.ask:
            return True
        return typer.confirm(question, default=False, err=True)

    def _end_planning(self) -> None:
        if self._planning is not None:
            self._planning.close()
            self._planning = None

    def sending(self, total: int) -> None:
        self._end_planning()
        self.total = total
        if self.tty and total:
            # rich loads only for a bar on a terminal: `rowpush --help` stays fast
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("applying"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failed]} failed"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[note]}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("apply", total=total, failed=0, note="")

    def outcomes(self, outcomes: Sequence[Outcome]) -> None:
        self._count(len(outcomes), sum(o.status is Status.FAILED for o in outcomes))

    def answered(self, rows: Sequence[int], answer: Outcome) -> None:
        self._count(len(rows), len(rows) if answer.status is Status.FAILED else 0)

    def _count(self, done: int, failed: int) -> None:
        self.done += done
        self.failed += failed
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, failed=self.failed)

    def settling(self, rows: int) -> None:
        note = f"checking {rows} row(s) whose answer was lost against the live records"
        if self._progress is not None:
            self._progress.update(self._task, note=note)
        elif self.tty:
            print(note + "…", file=sys.stderr, flush=True)

    def retry_event(self, event: RetryEvent) -> None:
        if self._progress is not None:
            self._progress.update(self._task, note=event.describe())
        else:  # no bar to show it (not a terminal): a wait of minutes gets a line of its own
            self._notices(event)

    def close(self) -> None:
        self._end_planning()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class Counter:
    """A one-line counter on stderr for a step that may take a while (a terminal only):
    "planning: 150 of 500 rows · 48/s · about 7 s left". Redrawn at most 10 times a
    second; without a `total` it shows the count and the pace."""

    REDRAW = 0.1
    STEADY = 10
    """Rows before a pace (and a time left) is shown."""

    def __init__(self, label: str, unit: str, total: int | None = None) -> None:
        self.label = label
        self.unit = unit
        self.total = total
        self.count = 0
        self.tty = sys.stderr.isatty() and not _quiet
        self._start = time.monotonic()
        self._drawn = 0.0
        self._shown = False

    def update(self, count: int) -> None:
        self.count = count
        now = time.monotonic()
        if not self.tty or now - self._drawn < self.REDRAW:
            return
        self._drawn = now
        self._shown = True
        sys.stderr.write("\r\033[K" + self.line(now - self._start))
        sys.stderr.flush()

    def line(self, elapsed: float) -> str:
        """The counter's text after `elapsed` seconds."""
        total = self.total if self.total and self.total >= self.count else None
        done = f"{self.count:,} of {total:,}" if total else f"{self.count:,}"
        text = f"{self.label}: {done} {self.unit}"
        if elapsed >= 1 and self.count >= self.STEADY:  # a pace from 1 row means nothing
            pace = self.count / elapsed
            text += f" · {pace:,.0f}/s"
            if total:
                text += f" · about {_duration((total - self.count) / pace)} left"
        return text + "…"

    def close(self) -> None:
        if self._shown:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()
            self._shown = False


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class PlanProgress(Counter):
    """Rows planned against live state, out of the sheet's (estimated) rows: live reads
    can take minutes at Halo's 1 request/s."""

    def __init__(self, prep: Prepared | None = None) -> None:
        super().__init__("planning", "rows", estimate_rows(prep.sheet) if prep else None)


class ExportProgress(Counter):
    """Records exported so far (their total is not known before the last page)."""

    def __init__(self) -> None:
        super().__init__("exporting", "records")
