"""The results screen: what an apply did, row by row, filtered by status; and retry.

It only draws: the rows come from the `ResultsSource`'s workbook, their wording from
`results_render`, and a retry is the source's `retry` (its plan opens the plan screen,
which asks before it applies).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from rowpush.engine.results_reader import ResultRow
from rowpush.errors import RowpushError
from rowpush.model import Status
from rowpush.tui.counters import CounterBar
from rowpush.tui.dialogs import HelpScreen
from rowpush.tui.plan_screen import PlanScreen
from rowpush.tui.render import Counter
from rowpush.tui.results_render import (
    FILTER_KEYS,
    RARE_FILTER_KEYS,
    STATUS_STYLE,
    detail_lines,
    nothing_to_retry,
    one_line,
    pick_connection_question,
    retryable,
    summary_lines,
    tally,
)
from rowpush.tui.row_table import Column, RowTable
from rowpush.tui.sources import ResultsSource

__all__ = ["ConnectionPicker", "ResultsScreen"]

#: At this width and wider the Summary panel sits beside the table from the start.
WIDE = 120
SUMMARY_WIDTH = 46
REMOTE_ID_WIDTH = 14
STATUS_WIDTH = max(len(s.value) for s in Status)
HTTP_WIDTH = 4
#: One footer entry for the eight filter keys ("a c u n f i s k Filter"), so that m, r and q
#: still fit at 80 columns.
FILTER_GROUP = Binding.Group("Filter")
#: Rows read before the first paint, then per batch: small first so the screen fills at once.
FIRST_BATCH = 200
BATCH = 5_000


class ResultsScreen(Screen[None]):
    """Header, status counters (which filter), the rows, the highlighted row's detail,
    and the Summary sheet (beside the table when wide, `m` toggles it).

    Each counter carries its filter key (a, c, u, n, f, i, s, k) underlined in its word
    (k: unknown); the active filter is reversed. `r` retries the failed, skipped and
    unknown rows through the plan screen.
    """

    DEFAULT_CSS = f"""
    ResultsScreen #top {{ height: 1; background: $primary-background; }}
    ResultsScreen #header {{ width: 1fr; height: 1; padding: 0 1; }}
    ResultsScreen #progress {{ width: auto; height: 1; padding: 0 1; color: $text-muted; }}
    ResultsScreen #progress.error {{ color: $error; }}
    ResultsScreen #counters {{ height: 1; padding: 0 1; }}
    ResultsScreen #body {{ height: 1fr; }}
    ResultsScreen #rows {{ height: 1fr; }}
    ResultsScreen #detail-pane {{ height: 9; padding: 0 1; border-top: solid $primary; }}
    ResultsScreen #summary {{
        display: none; width: {SUMMARY_WIDTH}; padding: 0 1; border-left: solid $primary;
    }}
    ResultsScreen.-summary #summary {{ display: block; }}
    ResultsScreen.-narrow.-summary #summary {{ width: 1fr; border-left: none; }}
    ResultsScreen.-narrow.-summary #main {{ display: none; }}
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        *(
            Binding(key, f"filter('{name}')", name.capitalize(), group=FILTER_GROUP)
            for name, key in FILTER_KEYS.items()
        ),
        *(Binding(k, f"filter('{name}')", show=False) for name, k in RARE_FILTER_KEYS.items()),
        Binding("m", "toggle_summary", "Summary"),
        Binding("r", "retry", "Retry failed"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("q", "app.quit", "Quit"),
    ]

    KEYS_HELP: ClassVar[list[tuple[str, str]]] = [
        ("a", "all rows"),
        ("c u n", "only created / updated / unchanged rows"),
        ("f i s", "only failed / invalid / skipped (never sent) rows"),
        ("k", "only unknown rows: the answer was lost and no lookup settled it"),
        ("t", "only stale rows: a saved plan's record moved since (when any)"),
        ("", "(each counter underlines its key letter)"),
        ("m", "show or hide the Summary sheet"),
        ("r", "retry the failed, skipped and unknown rows"),
        ("↑ ↓ PgUp PgDn", "move; the detail pane follows the row"),
        ("q", "quit"),
    ]

    def __init__(self, source: ResultsSource) -> None:
        super().__init__()
        self.source = source
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.reading = True
        """The workbook is still being read. (Not `loading`: Screen has that reactive.)"""
        self.results: list[ResultRow] = []
        """Every row read so far, in workbook order: the one copy kept in memory."""
        self.shown: Status | None = None
        """The status filter; None shows every row."""
        self.listed: array[int] = array("q")
        """Indexes into `results` of the table's rows, in order (8 bytes a row)."""
        self._row_width = len("Row")
        self._id_width = len("Remote id")
        self._status_styles = {s: Style.parse(STATUS_STYLE[s]) for s in Status}

    @property
    def table(self) -> RowTable:
        return self.query_one("#rows", RowTable)

    # -- drawing -------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        book = self.source.book
        where = f" on '{book.connection}'" if book.connection else ""
        with Horizontal(id="top"):
            yield Static(
                f"Results in {book.path.name} → {book.target or '(target not recorded)'}{where}",
                id="header",
                markup=False,
            )
            yield Static("reading…", id="progress", markup=False)
        yield CounterBar(id="counters")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield RowTable(self._columns(), self._cells, id="rows")
                with VerticalScroll(id="detail-pane"):
                    yield Static("", id="detail", markup=False)
            with VerticalScroll(id="summary"):
                yield Static("", id="summary-text", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        wide = self.app.size.width >= WIDE
        self.set_class(not wide, "-narrow")
        self.set_class(wide, "-summary")
        self._show_counts()
        self._load()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.width < WIDE, "-narrow")

    def _columns(self) -> list[Column]:
        return [
            ("Row", self._row_width),
            ("Remote id", self._id_width),
            ("Status", STATUS_WIDTH),
            ("HTTP", HTTP_WIDTH),
            ("Message", 0),
        ]

    def _cells(self, position: int) -> tuple[Text, Text, Text, Text, Text]:
        result = self.results[self.listed[position]]
        return (
            Text(str(result.row)),
            Text(result.remote_id or ""),
            Text(result.status.value, style=self._status_styles[result.status]),
            Text("" if result.http_status is None else str(result.http_status)),
            Text(one_line(result.message)),
        )

    def _show_counts(self) -> None:
        active = "all" if self.shown is None else self.shown.value
        counters = [Counter("a", "all", len(self.results))]
        keys = {**FILTER_KEYS, **RARE_FILTER_KEYS}
        counters += [
            Counter(keys[s.value], s.value, self.counts[s], STATUS_STYLE[s])
            for s in Status
            if s.value in FILTER_KEYS or self.counts[s]  # a rare status only when present
        ]
        self.query_one("#counters", CounterBar).show(counters, active)

    def _show_summary(self, pairs: list[tuple[str, str]]) -> None:
        text = Text()
        statuses = {s.value for s in Status}
        for (key, _), line in zip(pairs, summary_lines(pairs), strict=True):
            if text:
                text.append("\n")
            text.append(line, style=STATUS_STYLE[Status(key)] if key in statuses else "")
        if not pairs:
            text.append(f"{self.source.book.path.name} has no Summary sheet.")
        self.query_one("#summary-text", Static).update(text)

    def _show_detail(self, index: int | None) -> None:
        detail = self.query_one("#detail", Static)
        if index is None:
            detail.update("" if self.reading else "No rows to show.")
        else:  # formatted here, for this row only
            detail.update("\n".join(detail_lines(self.results[index])))

    def on_row_table_highlighted(self, event: RowTable.Highlighted) -> None:
        if 0 <= event.position < len(self.listed):
            self._show_detail(self.listed[event.position])

    # -- loading: a thread reads the workbook, the screen takes rows batch by batch ---

    @work(thread=True, group="load", name="results")
    def _load(self) -> None:
        worker = get_current_worker()
        book = self.source.book
        try:
            self.app.call_from_thread(self._show_summary, book.summary())
            batch: list[ResultRow] = []
            size = FIRST_BATCH
            for result in book.rows():
                batch.append(result)
                if len(batch) >= size:
                    if worker.is_cancelled:
                        return
                    self.app.call_from_thread(self._add_batch, batch)
                    batch, size = [], BATCH
            if not worker.is_cancelled:
                self.app.call_from_thread(self._add_batch, batch)
                self.app.call_from_thread(self._read, None)
        except RowpushError as exc:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._read, exc.message)

    def _add_batch(self, batch: Sequence[ResultRow]) -> None:
        """Keep rows read from the workbook; those that pass the filter show at once."""
        start = len(self.results)
        self.results.extend(batch)
        for index, result in enumerate(batch, start):
            if self.shown in (None, result.status):
                self.listed.append(index)
            # Widths follow every row, not only the shown ones: columns stay put across filters.
            self._row_width = max(self._row_width, len(str(result.row)))
            if result.remote_id:
                self._id_width = max(self._id_width, min(REMOTE_ID_WIDTH, len(result.remote_id)))
        self.table.set_columns(self._columns())
        self.table.set_count(len(self.listed))
        tally(self.counts, batch)
        self._show_counts()
        self.query_one("#progress", Static).update(f"reading… {len(self.results)} rows")

    def _read(self, error: str | None) -> None:
        self.reading = False
        progress = self.query_one("#progress", Static)
        if error is not None:
            progress.add_class("error")
            progress.update(f"error: {error}")
        else:
            progress.update(f"{len(self.results)} rows")
        if not self.listed:
            self._show_detail(None)

    # -- actions -------------------------------------------------------------------

    def action_filter(self, status: str) -> None:
        """Show only the rows of one status ("all": every row); the cursor goes to the top."""
        shown = self.shown = None if status == "all" else Status(status)
        self.listed = array(
            "q", (i for i, r in enumerate(self.results) if shown in (None, r.status))
        )
        self.table.set_count(len(self.listed), keep_cursor=False)
        if not self.listed:
            self._show_detail(None)
        self._show_counts()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen("rowpush — results screen keys", self.KEYS_HELP))

    def action_toggle_summary(self) -> None:
        self.toggle_class("-summary")
        if not self.has_class("-summary"):
            self.table.focus()

    def action_retry(self) -> None:
        retry = self.source.retry
        book = self.source.book
        if retry is None:
            self.notify("Retry is not available here.", title="Retry", severity="warning")
            return
        if not retryable(self.counts):
            if self.reading:
                self.notify("Still reading the workbook: try again once it is read.")
            else:
                self.notify(nothing_to_retry(book.path.name), title="Retry", markup=False)
            return
        names = list(self.source.connections)
        conn = book.connection
        # No list of configured names: let retry() itself say if the connection is unknown.
        if conn is not None and (conn in names or not names):
            self._retry_on(conn)
        elif not names:
            self.notify(
                f"{book.path.name} does not name its connection, and none is configured.",
                title="Retry",
                severity="error",
                markup=False,
            )
        else:
            question = pick_connection_question(book.path.name, conn)
            self.app.push_screen(ConnectionPicker(question, names), self._picked)

    def _picked(self, name: str | None) -> None:
        if name is not None:
            self._retry_on(name)

    def _retry_on(self, connection: str) -> None:
        assert self.source.retry is not None
        try:
            plan = self.source.retry(connection)
        except RowpushError as exc:
            self.notify(exc.message, title="Retry", severity="error", markup=False)
            return
        self.app.push_screen(PlanScreen(plan))


class ConnectionPicker(ModalScreen[str | None]):
    """Asks which configured connection to retry on; escape cancels (dismisses with None)."""

    DEFAULT_CSS = """
    ConnectionPicker { align: center middle; }
    ConnectionPicker #picker {
        width: 64; max-width: 90%; height: auto; max-height: 80%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ConnectionPicker #question { margin-bottom: 1; }
    ConnectionPicker OptionList { height: auto; max-height: 12; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, names: Sequence[str]) -> None:
        super().__init__()
        self.question = question
        self.names = list(names)

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(self.question, id="question", markup=False)
            yield OptionList(*(Option(Text(name), id=name) for name in self.names))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
