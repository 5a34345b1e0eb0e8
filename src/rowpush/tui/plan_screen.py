"""The plan screen: what apply would do, row by row, filtered by status.

It only draws: the rows come from a `PlanSource`, their wording from `render`.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from rowpush.errors import RowpushError
from rowpush.model import Action, Change
from rowpush.tui.render import STATUS_STYLE, count_actions, detail_lines, summary
from rowpush.tui.sources import PlanSource

__all__ = ["PlanScreen"]

SUMMARY_WIDTH = 60
LABELS = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.UNCHANGED: "unchanged",
    Action.INVALID: "invalid",
}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class PlanScreen(Screen[None]):
    """Header, status counters (which filter), the rows, and the highlighted row's detail.

    The counters' keys (a, c, u, n, i) are in the footer; the active filter is reversed.
    """

    DEFAULT_CSS = """
    PlanScreen #header { height: auto; padding: 0 1; background: $primary-background; }
    PlanScreen #counters { height: 1; padding: 0 1; }
    PlanScreen .counter { width: auto; margin-right: 1; }
    PlanScreen .counter.active { text-style: bold reverse; }
    PlanScreen #progress { width: 1fr; height: 1; text-align: right; color: $text-muted; }
    PlanScreen #progress.error { color: $error; }
    PlanScreen #rows { height: 1fr; }
    PlanScreen #detail { height: 8; padding: 0 1; border-top: solid $primary; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "filter('all')", "All"),
        Binding("c", "filter('create')", "Create"),
        Binding("u", "filter('update')", "Update"),
        Binding("n", "filter('unchanged')", "Unchanged"),
        Binding("i", "filter('invalid')", "Invalid"),
        Binding("j", "next_invalid", "Next invalid"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, plan: PlanSource) -> None:
        super().__init__()
        self.plan = plan
        self.changes: list[Change] = []
        self.shown: Action | None = None
        """The status filter; None shows every row."""
        self.listed: list[int] = []
        """Indexes into `changes` of the table's rows, in order."""
        self.planning = True

    @property
    def counts(self) -> dict[Action, int]:
        return count_actions(self.changes)

    def compose(self) -> ComposeResult:
        p = self.plan
        sheet = f" [{p.sheet}]" if p.sheet else ""
        yield Static(
            f"Plan for {p.file}{sheet} → {p.target} on '{p.connection}' ({p.base_url})",
            id="header",
            markup=False,
        )
        with Horizontal(id="counters"):
            yield Static(id="count-all", classes="counter active")
            for action in Action:
                yield Static(id=f"count-{action.value}", classes="counter")
            yield Static("planning…", id="progress")
        table: DataTable[Text] = DataTable(id="rows", cursor_type="row", zebra_stripes=True)
        table.add_columns("Row", "Key", "Status", "Change")
        yield table
        yield Static("", id="detail", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self._show_counts()
        self.run_worker(self._load(), name="plan", exclusive=True)

    async def _load(self) -> None:
        # An async worker: the live plan awaits HTTP, so the UI keeps drawing meanwhile.
        progress = self.query_one("#progress", Static)
        try:
            async for change in self.plan.changes():
                self.changes.append(change)
                if self.shown in (None, change.action):
                    self._add_row(len(self.changes) - 1)
                self._show_counts()
                progress.update(f"planning… {len(self.changes)} rows read")
        except RowpushError as exc:
            progress.add_class("error")
            progress.update(f"error: {exc.message}")
        else:
            progress.update(f"{len(self.changes)} rows planned")
        finally:
            self.planning = False

    def _add_row(self, index: int) -> None:
        change = self.changes[index]
        style = STATUS_STYLE[change.action]
        key = "(new)" if change.key is None else str(change.key)
        table = self.query_one("#rows", DataTable)
        table.add_row(
            Text(str(change.row)),
            Text(key, style=style),
            Text(LABELS[change.action], style=style),
            Text(_clip(summary(change), SUMMARY_WIDTH), style=style),
            key=str(index),
        )
        self.listed.append(index)
        if len(self.listed) == 1:
            self._show_detail(index)

    def _show_counts(self) -> None:
        counts = self.counts
        self.query_one("#count-all", Static).update(Text(f"all {len(self.changes)}"))
        for action in Action:
            label = Text(f"{LABELS[action]} {counts[action]}", style=STATUS_STYLE[action])
            self.query_one(f"#count-{action.value}", Static).update(label)

    def _show_detail(self, index: int | None) -> None:
        detail = self.query_one("#detail", Static)
        if index is None:
            detail.update("No rows to show." if not self.planning else "")
            return
        detail.update("\n".join(detail_lines(self.changes[index])))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_detail(int(event.row_key.value))

    def action_filter(self, status: str) -> None:
        self.shown = None if status == "all" else Action(status)
        for counter in self.query(".counter"):
            counter.set_class(counter.id == f"count-{status}", "active")
        table = self.query_one("#rows", DataTable)
        table.clear()
        self.listed = []
        for index, change in enumerate(self.changes):
            if self.shown in (None, change.action):
                self._add_row(index)
        if not self.listed:
            self._show_detail(None)

    def action_next_invalid(self) -> None:
        table = self.query_one("#rows", DataTable)
        n = len(self.listed)
        for step in range(1, n + 1):
            pos = (table.cursor_row + step) % n
            if self.changes[self.listed[pos]].action is Action.INVALID:
                table.move_cursor(row=pos)
                return
        self.notify("No invalid rows in this view.")
