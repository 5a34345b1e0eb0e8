"""Helpers the TUI tests share: wait for the app's workers, read what a screen shows."""

from __future__ import annotations

from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from rowpush.tui.row_table import RowTable


async def loaded(pilot: Pilot[Any]) -> None:
    """Wait until the screen's workers (planning, reading, applying) are done."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


def table_rows(pilot: Pilot[Any]) -> list[str]:
    """The source row numbers the table lists, in order (its first cell, as drawn)."""
    table = pilot.app.screen.query_one("#rows", RowTable)
    return [table.row_text(i)[0] for i in range(table.count)]
