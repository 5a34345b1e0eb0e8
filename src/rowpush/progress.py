"""Progress on the terminal for the CLI: the apply bar, its confirmation prompt, and the
planning counter. A face module: it draws what the engine reports through Callbacks.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

from rowpush.engine.callbacks import Callbacks
from rowpush.model import Change, Outcome, Status

if TYPE_CHECKING:
    from rowpush.config import Connection
    from rowpush.engine.prepare import Prepared
    from rowpush.http.transport import RetryEvent

__all__ = ["ConsoleCallbacks", "PlanProgress", "WindowNotices", "is_quiet", "set_quiet"]

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

    def planned(self, change: Change) -> None:
        return None

    def confirm(self, counts: dict[str, int]) -> bool:
        target = self.prep.target
        url = target.api.base_url(self.conn)
        question = (
            f"Apply {counts['update']} update(s) and {counts['create']} create(s) "
            f"to {target.name} on '{self.conn.name}' ({url})?"
        )
        if not self.ask:
            return True
        return typer.confirm(question, default=False, err=True)

    def sending(self, total: int) -> None:
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
        self.done += len(outcomes)
        self.failed += sum(o.status is Status.FAILED for o in outcomes)
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done, failed=self.failed)

    def retry_event(self, event: RetryEvent) -> None:
        if self._progress is not None:
            self._progress.update(self._task, note=event.describe())
        else:  # no bar to show it (not a terminal): a wait of minutes gets a line of its own
            self._notices(event)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


class PlanProgress:
    """A row counter on stderr while a plan reads live state (a terminal only): live reads
    can take minutes at Halo's 1 request/s."""

    EVERY = 50

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty() and not _quiet

    def update(self, planned: int) -> None:
        if self.tty and planned % self.EVERY == 0:
            sys.stderr.write(f"\rplanning: {planned} rows read against live state…")
            sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\r\033[K")
