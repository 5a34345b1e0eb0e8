"""The results screen: what an apply did, row by row, filtered by status; and retry.

It only draws: the rows come from the `ResultsSource`'s workbook, their wording from
`results_render`, and a retry is the source's `retry` (its plan opens the plan screen,
which asks before it applies).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from rowpush.engine.results_book import ResultRow
from rowpush.errors import RowpushError
from rowpush.model import Status
from rowpush.tui.plan_screen import PlanScreen
from rowpush.tui.results_render import (
    FILTER_KEYS,
    STATUS_STYLE,
    detail_lines,
    fit,
    nothing_to_retry,
    one_line,
    pick_connection_question,
    retryable,
    summary_lines,
    tally,
)
from rowpush.tui.sources import ResultsSource

__all__ = ["ConnectionPicker", "ResultsScreen", "ResultsTable"]

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


class ResultsTable(ScrollView, can_focus=True):
    """The rows of a results workbook (row, remote id, status, HTTP code, message), drawn
    one screen line at a time with Textual's line API; it looks and moves like a DataTable.

    Why not a DataTable: it measures every cell and walks every row again as rows
    arrive (30 s and second-long stalls for 100,000 rows); this draws only the lines in
    view, so adding or filtering rows costs little more than a list append.
    It holds the one list of `ResultRow`s; a filter is a list of indexes into it.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "results-table--header",
        "results-table--cursor",
        "results-table--even-row",
    }

    # The DataTable's own look (header, zebra stripes, cursor), so both screens match.
    DEFAULT_CSS = """
    ResultsTable {
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .results-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .results-table--header { background-tint: $foreground 5%; }
        }
        &:dark { & > .results-table--even-row { background: $surface-darken-1 40%; } }
        & > .results-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .results-table--even-row { background: $surface-lighten-1 50%; }
        & > .results-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Cursor up", show=False),
        Binding("down", "move(1)", "Cursor down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First row", show=False),
        Binding("end,ctrl+end", "last", "Last row", show=False),
    ]

    class Highlighted(Message):
        """The cursor is on another row (`index` into `results`), or on none."""

        def __init__(self, index: int | None) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.results: list[ResultRow] = []
        """Every row read so far, in workbook order: the one copy kept in memory."""
        self.shown: Status | None = None
        """The status filter; None shows every row."""
        self.listed: array[int] = array("q")
        """Indexes into `results` of the rows shown, in order."""
        self.cursor = 0
        """Position of the highlighted row in `listed`."""
        self._widths = [len("Row"), len("Remote id"), STATUS_WIDTH, HTTP_WIDTH]
        self._status_styles = {s: Style.parse(STATUS_STYLE[s]) for s in Status}

    @property
    def current(self) -> ResultRow | None:
        """The highlighted row."""
        return self.results[self.listed[self.cursor]] if self.listed else None

    def add(self, batch: Sequence[ResultRow]) -> None:
        """Append rows read from the workbook; those that pass the filter show at once."""
        was_empty = not self.listed
        start = len(self.results)
        self.results.extend(batch)
        row_width, id_width = self._widths[:2]
        for index, result in enumerate(batch, start):
            if self.shown in (None, result.status):
                self.listed.append(index)
            # Widths follow every row, not only the shown ones: columns stay put across filters.
            row_width = max(row_width, len(str(result.row)))
            if result.remote_id:
                id_width = max(id_width, min(REMOTE_ID_WIDTH, len(result.remote_id)))
        self._widths[:2] = row_width, id_width
        self._lines_changed()
        if was_empty and self.listed:
            self.post_message(self.Highlighted(self.listed[0]))

    def show(self, status: Status | None) -> None:
        """Show only the rows of one status (None: every row); the cursor goes to the top."""
        self.shown = status
        self.listed = array(
            "q", (i for i, r in enumerate(self.results) if status in (None, r.status))
        )
        self.cursor = 0
        self.scroll_to(y=0, animate=False)
        self._lines_changed()
        self.post_message(self.Highlighted(self.listed[0] if self.listed else None))

    def _lines_changed(self) -> None:
        self.virtual_size = Size(0, len(self.listed) + 1)  # + the header line
        self.refresh()

    # -- drawing -------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("results-table--header")
            labels = ("Row", "Remote id", "Status", "HTTP", "Message")
            return self._strip(labels, style, None, width)
        pos = self.scroll_offset.y + y - 1
        if pos >= len(self.listed):
            return Strip.blank(width, base)
        if pos == self.cursor:
            style = base + self.get_component_rich_style("results-table--cursor")
        elif pos % 2 == 0:
            style = base + self.get_component_rich_style("results-table--even-row")
        else:
            style = base
        result = self.results[self.listed[pos]]
        cells = (
            str(result.row),
            result.remote_id or "",
            result.status.value,
            "" if result.http_status is None else str(result.http_status),
            one_line(result.message),
        )
        return self._strip(cells, style, self._status_styles[result.status], width)

    def _strip(
        self, cells: Sequence[str], style: Style, status_style: Style | None, width: int
    ) -> Strip:
        widths = [*self._widths, width - sum(w + 2 for w in self._widths) - 2]
        segments: list[Segment] = []
        for column, (text, cell_width) in enumerate(zip(cells, widths, strict=True)):
            cell_style = style + status_style if column == 2 and status_style else style
            segments.append(Segment(f" {fit(text, cell_width)} ", cell_style))
        return Strip(segments).adjust_cell_length(width, style)

    # -- moving --------------------------------------------------------------------

    def move_cursor(self, pos: int) -> None:
        if not self.listed:
            return
        pos = max(0, min(pos, len(self.listed) - 1))
        visible = max(1, self.scrollable_content_region.height - 1)
        top = self.scroll_offset.y
        if pos < top:
            self.scroll_to(y=pos, animate=False)
        elif pos >= top + visible:
            self.scroll_to(y=pos - visible + 1, animate=False)
        if pos != self.cursor:
            self.cursor = pos
            self.refresh()
            self.post_message(self.Highlighted(self.listed[pos]))

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(
            self.cursor + direction * max(1, self.scrollable_content_region.height - 1)
        )

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(len(self.listed) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:
            self.move_cursor(self.scroll_offset.y + offset.y - 1)


class ResultsScreen(Screen[None]):
    """Header, status counters (which filter), the rows, the highlighted row's detail,
    and the Summary sheet (beside the table when wide, `m` toggles it).

    The counters' keys (a, c, u, n, f, i, s, k) are in the footer; the active filter is
    reversed. `r` retries the failed, skipped and unknown rows through the plan screen.
    """

    DEFAULT_CSS = f"""
    ResultsScreen #top {{ height: 1; background: $primary-background; }}
    ResultsScreen #header {{ width: 1fr; height: 1; padding: 0 1; }}
    ResultsScreen #progress {{ width: auto; height: 1; padding: 0 1; color: $text-muted; }}
    ResultsScreen #progress.error {{ color: $error; }}
    ResultsScreen #counters {{ height: auto; padding: 0 1; }}
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
        Binding("m", "toggle_summary", "Summary"),
        Binding("r", "retry", "Retry failed"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, source: ResultsSource) -> None:
        super().__init__()
        self.source = source
        self.counts: dict[Status, int] = dict.fromkeys(Status, 0)
        self.reading = True
        """The workbook is still being read. (Not `loading`: Screen has that reactive.)"""

    @property
    def table(self) -> ResultsTable:
        return self.query_one("#rows", ResultsTable)

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
        yield Static(id="counters")
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield ResultsTable(id="rows")
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

    def _show_counts(self) -> None:
        line = Text()
        shown = self.table.shown
        active = "all" if shown is None else shown.value
        entries = [("all", f"all {len(self.table.results)}", "")]
        entries += [(s.value, f"{s.value} {self.counts[s]}", STATUS_STYLE[s]) for s in Status]
        for name, label, style in entries:
            if line:
                line.append(" ")
            line.append(label, style=f"{style} bold reverse" if name == active else style)
        self.query_one("#counters", Static).update(line)

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

    def on_results_table_highlighted(self, event: ResultsTable.Highlighted) -> None:
        detail = self.query_one("#detail", Static)
        if event.index is None:
            detail.update("" if self.reading else "No rows to show.")
        else:  # formatted here, for this row only
            detail.update("\n".join(detail_lines(self.table.results[event.index])))

    # -- loading: a thread reads the workbook, the table takes rows batch by batch ----

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
        self.table.add(batch)
        tally(self.counts, batch)
        self._show_counts()
        self.query_one("#progress", Static).update(f"reading… {len(self.table.results)} rows")

    def _read(self, error: str | None) -> None:
        self.reading = False
        progress = self.query_one("#progress", Static)
        if error is not None:
            progress.add_class("error")
            progress.update(f"error: {error}")
        else:
            progress.update(f"{len(self.table.results)} rows")
        if not self.table.listed:
            self.query_one("#detail", Static).update("No rows to show.")

    # -- actions -------------------------------------------------------------------

    def action_filter(self, status: str) -> None:
        self.table.show(None if status == "all" else Status(status))
        self._show_counts()

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
