"""The status counters' line: every counter with its filter key, on one line at any width."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import Static

from rowpush.tui.render import Counter, counter_line

__all__ = ["CounterBar"]


class CounterBar(Static):
    """One line of counters (`rowpush.tui.render.counter_line`), drawn for its own width,
    so a narrow terminal shortens the words instead of wrapping the line."""

    DEFAULT_CSS = "CounterBar { height: 1; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.counters: Sequence[Counter] = ()
        self.active: str | None = "all"

    def show(self, counters: Sequence[Counter], active: str | None) -> None:
        self.counters, self.active = counters, active
        self.refresh()

    def render(self) -> Text:
        width = self.content_size.width or self.app.size.width
        return counter_line(self.counters, width, self.active)
