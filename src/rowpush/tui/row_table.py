"""`RowTable`: a table that draws only the rows on screen, for sheets of any length.

Textual's DataTable measures and stores every cell it is given, which takes tens of
seconds for 100,000 rows and again on every filter. This table knows only how many
rows it lists and asks `cells(position)` for the few it draws (Textual's line API),
so listing, filtering and scrolling cost the same for 100 rows or 1,000,000.
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

__all__ = ["Column", "RowTable"]

Column = tuple[str, int]
"""A column's title and width in cells (0: the rest of the line)."""

CellsOf = Callable[[int], Sequence[Text]]


class RowTable(ScrollView, can_focus=True):
    """A header line, then `count` rows drawn on demand; one row has the cursor."""

    DEFAULT_CSS = """
    RowTable { height: 1fr; }
    RowTable > .row-table--header { text-style: bold; background: $panel; }
    RowTable > .row-table--cursor { background: $accent 40%; }
    RowTable:focus > .row-table--cursor { background: $accent; }
    RowTable > .row-table--odd { background: $boost; }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "row-table--header",
        "row-table--cursor",
        "row-table--odd",
    }

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up", "move(-1)", "Up", show=False),
        Binding("down", "move(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, init=False)
    """Position (0-based, in the listed rows) of the highlighted row."""

    class Highlighted(Message):
        """The cursor moved to `position` (in the listed rows)."""

        def __init__(self, table: RowTable, position: int) -> None:
            super().__init__()
            self.table = table
            self.position = position

    def __init__(self, columns: Sequence[Column], cells: CellsOf, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.columns = list(columns)
        self.cells_of = cells
        self.count = 0

    # -- what is listed -------------------------------------------------------------------

    def set_count(self, count: int, *, keep_cursor: bool = True) -> None:
        """List `count` rows (positions 0 … count-1); the cursor stays put when it can."""
        grew_from_empty = self.count == 0 and count > 0
        self.count = count
        self.virtual_size = Size(self.size.width, count + 1)
        if not keep_cursor or self.cursor >= count:
            self.cursor = max(0, min(self.cursor if keep_cursor else 0, count - 1))
        elif grew_from_empty:
            self.cursor = 0
        self.refresh()

    def refresh_row(self, position: int) -> None:
        """Draw one row again (its cells changed)."""
        self.refresh()
        del position  # the whole visible window is cheap to redraw

    def row_text(self, position: int) -> list[str]:
        """The plain text of one listed row's cells (for tests and search)."""
        return [cell.plain for cell in self.cells_of(position)]

    # -- drawing ---------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            header = self.get_component_rich_style("row-table--header")
            cells = [Text(title) for title, _ in self.columns]
            return self._strip(cells, width, header)
        position = self.scroll_offset.y + y - 1
        if position >= self.count:
            return Strip.blank(width, self.rich_style)
        style = self.rich_style
        if position % 2:
            style += self.get_component_rich_style("row-table--odd")
        if position == self.cursor:
            style += self.get_component_rich_style("row-table--cursor")
        return self._strip(list(self.cells_of(position)), width, style)

    def _strip(self, cells: Sequence[Text], width: int, style: Style) -> Strip:
        line = Text(" ", no_wrap=True, end="")
        for (_, col_width), cell in zip(self.columns, cells, strict=False):
            cell = cell.copy()
            cell.no_wrap = True
            if col_width:
                cell.truncate(col_width, overflow="ellipsis", pad=True)
            line.append_text(cell)
            line.append(" ")
        segments = [s for s in line.render(self.app.console) if s.text != "\n"]
        return Strip(Segment.apply_style(segments, style)).adjust_cell_length(width, style)

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(event.size.width, self.count + 1)

    # -- moving ----------------------------------------------------------------------------

    def watch_cursor(self, position: int) -> None:
        if not self.count:
            return
        visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if position < top:
            self.scroll_to(y=position, animate=False)
        elif position >= top + visible:
            self.scroll_to(y=position - visible + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, position))

    def move_cursor(self, position: int) -> None:
        if self.count:
            self.cursor = max(0, min(position, self.count - 1))

    def action_move(self, step: int) -> None:
        self.move_cursor(self.cursor + step)

    def action_page(self, pages: int) -> None:
        self.move_cursor(self.cursor + pages * max(1, self.size.height - 2))

    def action_jump(self, position: int) -> None:
        self.move_cursor(self.count - 1 if position < 0 else position)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self.move_cursor(int(self.scroll_offset.y) + event.y - 1)
