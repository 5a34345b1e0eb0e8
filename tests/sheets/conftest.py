"""Fixtures for the sheets tests; the helpers themselves are in sheets_support.py."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from sheets_support import MakeXlsx, Rows


@pytest.fixture
def make_xlsx(tmp_path: Path) -> MakeXlsx:
    """Write a workbook with openpyxl: make_xlsx(rows) or make_xlsx(Sheet1=rows, hidden=[...])."""

    def make(
        rows: Rows | None = None,
        *,
        name: str = "book.xlsx",
        sheets: dict[str, Rows] | None = None,
        hidden: Sequence[str] = (),
    ) -> Path:
        book = openpyxl.Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for title, content in (sheets or {"Data": rows or []}).items():
            sheet = book.create_sheet(title)
            for row in content:
                sheet.append(list(row))
            if title in hidden:
                sheet.sheet_state = "hidden"
        path = tmp_path / name
        book.save(path)
        return path

    return make
