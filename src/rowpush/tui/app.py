"""The Textual app. `build_app` is the one factory: the CLI and the tests both call it."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.screen import Screen

from rowpush.model import Action
from rowpush.tui.plan_screen import PlanScreen
from rowpush.tui.results_screen import ResultsScreen
from rowpush.tui.sources import PlanSource, ResultsSource, RunApplier, results_source

if TYPE_CHECKING:
    from rowpush.engine.results_reader import ResultsBook

__all__ = ["PlanSource", "ResultsSource", "RowpushApp", "build_app", "run_apply", "run_results"]


class RowpushApp(App[None]):
    """rowpush in the terminal: a plan (and its apply), or a results workbook."""

    TITLE = "rowpush"
    ENABLE_COMMAND_PALETTE = False  # keys are in the footer; frees ctrl+p

    def __init__(
        self, source: PlanSource | ResultsSource, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.source = source
        self.clock = clock
        """What the apply screen measures speed and ETA with (tests pass a fixed one)."""
        self.plan_screen: PlanScreen | None = None
        if isinstance(source, PlanSource):
            self.plan_screen = PlanScreen(source)

    def first_screen(self) -> Screen[None]:
        if self.plan_screen is not None:
            return self.plan_screen
        assert isinstance(self.source, ResultsSource)
        return ResultsScreen(self.source)

    def on_mount(self) -> None:
        self.push_screen(self.first_screen())

    @property
    def counts(self) -> dict[Action, int]:
        """Rows planned so far, per status (the CLI turns invalid rows into exit 2)."""
        if self.plan_screen is None:
            return dict.fromkeys(Action, 0)
        return self.plan_screen.counts


def build_app(
    source: PlanSource | ResultsSource, *, clock: Callable[[], float] = time.monotonic
) -> RowpushApp:
    """Build the app around a plan (live, or a fixed list in tests) or a results workbook."""
    return RowpushApp(source, clock)


def run_apply(source: PlanSource) -> dict[str, int] | None:
    """Run the plan screen of an apply run until the user quits, then close the run.

    Returns the rows by final status, or None when nothing was applied.
    """
    assert isinstance(source.applier, RunApplier), "an apply needs a run to drive"
    run = source.applier.run
    try:
        build_app(source).run()
    finally:
        run.close()
    return run.final


def run_results(book: ResultsBook) -> list[Path]:
    """Audit a results workbook until the user quits; returns the retries' results written."""
    source, retries = results_source(book)
    try:
        build_app(source).run()
    finally:
        written = retries.close()
    return written
