"""The plan screen: what apply would do, row by row, filtered by status or text.

It only draws: the rows come from a `PlanSource`, their wording from `render`, and
applying is the source's `Applier` (the engine's `ApplyRun`). With an applier the
user may mark rows (space) and apply all of them or just the marked or shown ones.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from rowpush.errors import RowpushError
from rowpush.model import Action, Change
from rowpush.tui.apply_screen import ApplyScreen
from rowpush.tui.counters import CounterBar
from rowpush.tui.dialogs import Choice, ConfirmApply, HelpScreen
from rowpush.tui.render import STATUS_STYLE, Counter, count_actions, detail_lines, summary
from rowpush.tui.row_table import RowTable
from rowpush.tui.sources import PlanSource

__all__ = ["PlanScreen"]

COLUMNS = [("Row", 8), ("Key", 10), ("Status", 9), ("Change", 0)]
FLUSH_ROWS = 500
"""Rows drawn at once while the plan streams in (fewer redraws for long sheets)."""
FLUSH_SECONDS = 0.2
LABELS = {
    Action.CREATE: "create",
    Action.UPDATE: "update",
    Action.UNCHANGED: "unchanged",
    Action.INVALID: "invalid",
}
FILTER_KEYS = {Action.CREATE: "c", Action.UPDATE: "u", Action.UNCHANGED: "n", Action.INVALID: "i"}
MARK = "●"
SENT = (Action.CREATE, Action.UPDATE)


class PlanScreen(Screen[None]):
    """Header, status counters (which filter), the rows, and the highlighted row's detail.

    Each counter carries its filter key (a, c, u, n, i) underlined; the active filter is
    reversed.
    """

    DEFAULT_CSS = """
    PlanScreen #header { height: auto; padding: 0 1; background: $primary-background; }
    PlanScreen #counters { height: 1; padding: 0 1; }
    PlanScreen #counts { width: 1fr; }
    PlanScreen #progress { width: auto; height: 1; margin-left: 1; color: $text-muted; }
    PlanScreen #progress.error { color: $error; }
    PlanScreen #rows { height: 1fr; }
    PlanScreen #detail { height: 8; padding: 0 1; border-top: solid $primary; }
    PlanScreen #search { dock: bottom; display: none; }
    PlanScreen #search.open { display: block; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        # the filter keys are written on the counters themselves, which saves the footer
        Binding("a", "filter('all')", "All", show=False),
        Binding("c", "filter('create')", "Create", show=False),
        Binding("u", "filter('update')", "Update", show=False),
        Binding("n", "filter('unchanged')", "Unchanged", show=False),
        Binding("i", "filter('invalid')", "Invalid", show=False),
        Binding("j", "next_invalid", "Next invalid"),
        Binding("slash", "search", "Search"),
        Binding("space", "mark", "Mark"),
        Binding("A", "apply", "Apply…"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "app.quit", "Quit"),
        Binding("escape", "close_search", "Close search", show=False),
    ]

    KEYS_HELP: ClassVar[list[tuple[str, str]]] = [
        ("a c u n i", "show all rows, or only create / update / unchanged / invalid"),
        ("j", "jump to the next invalid row"),
        ("/", "search rows by key, name or change (escape clears)"),
        ("space", "mark or unmark the row, to apply only marked rows"),
        ("A", "apply: asks first, for all rows or the marked / shown ones"),
        ("↑ ↓ PgUp PgDn", "move; the detail pane follows the row"),
        ("q", "quit"),
    ]

    def __init__(self, plan: PlanSource) -> None:
        super().__init__()
        self.plan = plan
        self.changes: list[Change] = []
        self.shown: Action | None = None
        """The status filter; None shows every row."""
        self.query_text = ""
        """The search text; rows whose key, label or change contains it (casefolded)."""
        self.listed: list[int] = []
        """Indexes into `changes` of the table's rows, in order."""
        self.marked: set[int] = set()
        """Indexes into `changes` of the rows marked for a partial apply."""
        self.planning = True
        self._unlisted = 0
        """Changes received but not yet drawn (drawn in batches while planning)."""
        self._last_flush = 0.0

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
            yield CounterBar(id="counts")
            yield Static("planning…", id="progress", markup=False)
        yield RowTable(COLUMNS, lambda pos: self._cells(self.listed[pos]), id="rows")
        yield Static("", id="detail", markup=False)
        yield Input(placeholder="search: key, name or change; enter keeps it", id="search")
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
                self._unlisted += 1
                now = time.monotonic()
                if self._unlisted >= FLUSH_ROWS or now - self._last_flush > FLUSH_SECONDS:
                    self._flush()
                    progress.update(f"planning… {len(self.changes)} rows read")
        except RowpushError as exc:
            progress.add_class("error")
            progress.update(f"error: {exc.message}")
        else:
            progress.update(f"{len(self.changes)} rows planned")
        finally:
            self.planning = False
            self._flush()
            self.app.refresh_bindings()

    def _flush(self) -> None:
        """Draw the changes received since the last flush."""
        self._last_flush = time.monotonic()
        start = len(self.changes) - self._unlisted
        self._unlisted = 0
        self._add_rows(i for i in range(start, len(self.changes)) if self._matches(i))
        self._show_counts()

    def _matches(self, index: int) -> bool:
        change = self.changes[index]
        if self.shown not in (None, change.action):
            return False
        if not self.query_text:
            return True
        haystack = f"{change.row} {change.key} {change.label or ''} {summary(change)}"
        return self.query_text in haystack.casefold()

    def _cells(self, index: int) -> tuple[Text, Text, Text, Text]:
        change = self.changes[index]
        style = STATUS_STYLE[change.action]
        key = "(new)" if change.key is None else str(change.key)
        mark = f"{MARK} " if index in self.marked else ""
        return (
            Text(f"{mark}{change.row}"),
            Text(key, style=style),
            Text(LABELS[change.action], style=style),
            Text(summary(change), style=style),
        )

    def _add_rows(self, indexes: Iterable[int]) -> None:
        new = list(indexes)
        if not new:
            return
        first = not self.listed
        self.listed.extend(new)
        self.query_one("#rows", RowTable).set_count(len(self.listed))
        if first:
            self._show_detail(new[0])

    def _show_counts(self) -> None:
        counts = self.counts
        counters = [Counter("a", "all", len(self.changes))]
        counters += [Counter(FILTER_KEYS[a], LABELS[a], counts[a], STATUS_STYLE[a]) for a in Action]
        active = "all" if self.shown is None else LABELS[self.shown]
        self.query_one("#counts", CounterBar).show(counters, active)

    def _show_detail(self, index: int | None) -> None:
        detail = self.query_one("#detail", Static)
        if index is None:
            detail.update("No rows to show." if not self.planning else "")
            return
        lines = detail_lines(self.changes[index])
        if index in self.marked:
            lines[0] += f"  {MARK} marked"
        detail.update("\n".join(lines))

    def _relist(self) -> None:
        self.listed = [i for i in range(len(self.changes)) if self._matches(i)]
        self.query_one("#rows", RowTable).set_count(len(self.listed), keep_cursor=False)
        self._show_detail(self.listed[0] if self.listed else None)

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        if 0 <= event.position < len(self.listed):
            self._show_detail(self.listed[event.position])

    # -- filters and search -----------------------------------------------------------

    def action_filter(self, status: str) -> None:
        self.shown = None if status == "all" else Action(status)
        self._show_counts()
        self._relist()

    def action_next_invalid(self) -> None:
        table = self.query_one("#rows", RowTable)
        n = len(self.listed)
        for step in range(1, n + 1):
            pos = (table.cursor + step) % n
            if self.changes[self.listed[pos]].action is Action.INVALID:
                table.move_cursor(pos)
                return
        self.notify("No invalid rows in this view.")

    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("open")
        search.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip().casefold()
        self._relist()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#rows", RowTable).focus()

    def action_close_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.has_class("open"):
            search.value = ""  # clears the filter through on_input_changed
            search.remove_class("open")
            self.query_one("#rows", RowTable).focus()

    def action_help(self) -> None:
        keys = self.KEYS_HELP
        if self.plan.applier is None:  # `plan --tui` only looks
            keys = [(k, text) for k, text in keys if k not in ("space", "A")]
        self.app.push_screen(HelpScreen("rowpush — plan screen keys", keys))

    # -- marking and applying ---------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("apply", "mark"):
            if self.plan.applier is None:
                return False  # `plan --tui` only looks: no apply key in the footer
            return None if self.planning else True  # shown but disabled while planning
        return True

    def action_mark(self) -> None:
        table = self.query_one("#rows", RowTable)
        if not self.listed:
            return
        pos = table.cursor
        index = self.listed[pos]
        if self.changes[index].action not in SENT:
            self.notify("Only rows to create or update can be marked: the others send nothing.")
            return
        self.marked.symmetric_difference_update({index})
        table.refresh_row(pos)
        self._show_detail(index)
        table.move_cursor(pos + 1)

    def _subset(self) -> tuple[list[int], str] | None:
        """The rows a partial apply would send, and how the modal names them."""
        if self.marked:
            return sorted(self.marked), f"the {len(self.marked)} marked"
        if self.shown is not None or self.query_text:
            shown = [i for i in self.listed if self.changes[i].action in SENT]
            return shown, f"the {len(shown)} shown"
        return None

    def action_apply(self) -> None:
        applier = self.plan.applier
        if applier is None or self.planning:
            return
        counts = self.counts
        p = self.plan
        if counts[Action.INVALID] and not p.skip_invalid:
            self.notify(
                f"{counts[Action.INVALID]} invalid row(s): apply refuses them, as on the "
                "command line. Fix them in the sheet (j jumps to each) and run again, or quit "
                "and add --skip-invalid to apply the valid rows alone.",
                title="Not applied",
                severity="error",
                timeout=10,
            )
            return
        if not counts[Action.CREATE] + counts[Action.UPDATE]:
            self.notify("Nothing to apply: every row is unchanged or invalid.")
            return
        question = (
            f"Apply {counts[Action.UPDATE]} update(s) and {counts[Action.CREATE]} create(s) "
            f"to {p.target} on '{p.connection}' ({p.base_url})?"
        )
        if counts[Action.INVALID]:
            question += f"\n{counts[Action.INVALID]} invalid row(s) will not be sent."
        subset = self._subset()
        if subset is not None and not subset[0]:
            subset = None
        label = None
        if subset is not None:
            picked = [self.changes[i] for i in subset[0]]
            label = f"only {subset[1]}"
            question += (
                f"\nOr only {subset[1]} row(s): "
                f"{sum(c.action is Action.UPDATE for c in picked)} update(s), "
                f"{sum(c.action is Action.CREATE for c in picked)} create(s)."
            )

        def chosen(choice: Choice | None) -> None:
            if choice is None:
                return
            only = None
            if choice == "subset" and subset is not None:
                only = [self.changes[i].row for i in subset[0]]
            self._start_apply(only)

        self.app.push_screen(ConfirmApply(question, label), chosen)

    def _start_apply(self, only: list[int] | None) -> None:
        p = self.plan
        if p.applier is None:
            return
        heading = f"Applying {p.file} → {p.target} on '{p.connection}' ({p.base_url})"
        self.app.switch_screen(ApplyScreen(p.applier, heading=heading, only=only))
