"""`RowTable`: a table that draws only the rows on screen, for sheets of any length.

Textual's DataTable measures and stores every cell it is given, which takes tens of
seconds for 100,000 rows and again on every filter. This table knows only how many
rows it lists and asks `cells_of(position)` for the few it draws (Textual's line API),
so listing, filtering and scrolling cost the same for 100 rows or 1,000,000.
It looks and moves like a DataTable: bold header, zebra stripes, block cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

__all__ = ["CellsOf", "Column", "RowTable"]

Column = tuple[str, int]
"""A column's title and width in cells (0: the rest of the line; the last column only)."""

CellsOf = Callable[[int], Sequence[Text]]
"""The cells of the row at a listed position, styled as they should show."""


class RowTable(ScrollView, can_focus=True):
    """A header line, then `count` rows drawn on demand; one row has the cursor.

    The screen keeps its rows and which of them are listed; the table knows only how
    many are listed (`set_count`) and asks `cells_of(position)` for those it draws. A
    cell's own style (a status colour, say) shows over the row's zebra or cursor.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--even-row",
    }

    # The DataTable's own look (header, zebra stripes, cursor), so every table matches.
    DEFAULT_CSS = """
    RowTable {
        height: 1fr;
        background: $surface;
        color: $foreground;
        overflow-x: hidden;
        &:focus {
            background-tint: $foreground 5%;
            & > .row-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .row-table--header { background-tint: $foreground 5%; }
        }
        &:dark { & > .row-table--even-row { background: $surface-darken-1 40%; } }
        & > .row-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .row-table--even-row { background: $surface-lighten-1 50%; }
        & > .row-table--cursor {
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

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    """Position (0-based, in the listed rows) of the highlighted row."""

    class Highlighted(Message):
        """The cursor moved to `position` (in the listed rows)."""

        def __init__(self, table: RowTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

        @property
        def control(self) -> RowTable:
            return self.table

    def __init__(
        self, columns: Sequence[Column], cells_of: CellsOf, *, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.cells_of = cells_of
        self.count = 0
        """How many rows are listed."""

    # -- what is listed -------------------------------------------------------------------

    def set_count(self, count: int, *, keep_cursor: bool = True) -> None:
        """List `count` rows (positions 0 … count-1); the cursor stays put when it can,
        else (or with `keep_cursor=False`) it goes to the top."""
        grew_from_empty = self.count == 0 and count > 0
        self.count = count
        self.virtual_size = Size(0, count + 1)  # + the header line
        if not keep_cursor or self.cursor >= count:
            self.cursor = max(0, min(self.cursor if keep_cursor else 0, count - 1))
        elif grew_from_empty:
            self.cursor = 0
        self.refresh()

    def set_columns(self, columns: Sequence[Column]) -> None:
        """Change the columns' titles or widths (widths that follow the data, say)."""
        if list(columns) != self.columns:
            self.columns = list(columns)
            self.refresh()

    def refresh_row(self, position: int) -> None:
        """Draw one row again (its cells changed)."""
        self.refresh_line(position + 1)

    def row_text(self, position: int) -> list[str]:
        """The plain text of one listed row's cells (for tests and search)."""
        return [cell.plain for cell in self.cells_of(position)]

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        if y == 0:
            style = base + self.get_component_rich_style("row-table--header")
            return self._strip([Text(title) for title, _ in self.columns], style, width)
        position = self.scroll_offset.y + y - 1
        if position >= self.count:
            return Strip.blank(width, base)
        if position == self.cursor:
            style = base + self.get_component_rich_style("row-table--cursor")
        elif position % 2 == 0:
            style = base + self.get_component_rich_style("row-table--even-row")
        else:
            style = base
        return self._strip(self.cells_of(position), style, width)

    def _strip(self, cells: Sequence[Text], style: Style, width: int) -> Strip:
        # Each cell has a space either side, as in a DataTable.
        rest = width - sum(w + 2 for _, w in self.columns if w) - 2
        line = Text(no_wrap=True, end="")
        for (_, col_width), cell in zip(self.columns, cells, strict=False):
            cell_width = col_width or rest
            line.append(" ")
            if cell_width > 0:
                cell = cell.copy()
                cell.truncate(cell_width, overflow="ellipsis", pad=True)
                line.append_text(cell)
            line.append(" ")
        segments = Segment.apply_style(line.render(self.app.console), style)
        return Strip(segments).adjust_cell_length(width, style)

    # -- moving ----------------------------------------------------------------------------

    @property
    def _page(self) -> int:
        """Rows in view (the header line aside)."""
        return max(1, self.scrollable_content_region.height - 1)

    def watch_cursor(self, position: int) -> None:
        if not self.count:
            return
        top = self.scroll_offset.y
        if position < top:
            self.scroll_to(y=position, animate=False)
        elif position >= top + self._page:
            self.scroll_to(y=position - self._page + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, position))

    def move_cursor(self, position: int) -> None:
        """Put the cursor on `position`, kept within the listed rows, and scroll to it."""
        if self.count:
            self.cursor = max(0, min(position, self.count - 1))

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, pages: int) -> None:
        self.move_cursor(self.cursor + pages * self._page)

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.count - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is not None and offset.y > 0:  # line 0 is the header
            self.move_cursor(self.scroll_offset.y + offset.y - 1)
