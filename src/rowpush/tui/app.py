"""The Textual app. `build_app` is the one factory: the CLI and the tests both call it."""

from __future__ import annotations

from textual.app import App

from rowpush.model import Action
from rowpush.tui.plan_screen import PlanScreen
from rowpush.tui.sources import PlanSource

__all__ = ["PlanSource", "RowpushApp", "build_app"]


class RowpushApp(App[None]):
    """rowpush in the terminal; for now it opens on the plan screen."""

    TITLE = "rowpush"
    ENABLE_COMMAND_PALETTE = False  # no commands yet; frees the footer for the keys

    def __init__(self, plan: PlanSource) -> None:
        super().__init__()
        self.plan_screen = PlanScreen(plan)

    def on_mount(self) -> None:
        self.push_screen(self.plan_screen)

    @property
    def counts(self) -> dict[Action, int]:
        """Rows planned so far, per status (the CLI turns invalid rows into exit 2)."""
        return self.plan_screen.counts


def build_app(plan: PlanSource) -> RowpushApp:
    """Build the app around a plan source (a live plan, or a fixed list in tests)."""
    return RowpushApp(plan)
