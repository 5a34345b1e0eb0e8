"""`Sheet.blocks`: the data rows a block at a time, exactly as `rows()` gives them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sheets_support import MIXED_CSV_LINES

from rowpush.errors import SheetError
from rowpush.sheets import open_sheet, write_table
from rowpush.sheets.table import Sheet

MIXED = [*MIXED_CSV_LINES, "Last,1,z"]


def as_rows(sheet: Sheet, size: int) -> list[tuple[int, dict[str, object]]]:
    out = []
    for block in sheet.blocks(size):
        assert 0 < len(block.numbers) <= size
        assert len(block.numbers) == len(block.cells)
        for i, number in enumerate(block.numbers):
            out.append((number, block.raw(i, sheet.headers).values))
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 1000])
def test_csv_blocks_hold_what_rows_gives(tmp_path: Path, size: int) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text("\r\n".join(MIXED) + "\r\n", encoding="utf-8", newline="")
    sheet = open_sheet(path)
    expected = [(r.row, r.values) for r in sheet.rows()]
    assert len(expected) == 8  # the two blank rows are left out
    assert as_rows(sheet, size) == expected


def test_xlsx_blocks_hold_what_rows_gives(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    rows = [["a", 1, None], [None, None, None], ["b", None, "x"], ["c", 3, "y"]]
    write_table(path, ["Name", "Code", "Note"], rows)
    sheet = open_sheet(path)
    expected = [(r.row, r.values) for r in sheet.rows()]
    assert [n for n, _ in expected] == [2, 4, 5]
    assert as_rows(sheet, 2) == expected


def test_csv_rows_before_a_bad_one_come_in_a_block_first(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_text("a,b\n" + "1,2\n" * 5 + "1,2,3\n", encoding="utf-8")
    blocks = open_sheet(path).blocks(100)
    first = next(blocks)
    assert first.numbers == [2, 3, 4, 5, 6]
    with pytest.raises(SheetError, match="row 7 has 3 cells"):
        next(blocks)


def test_csv_rows_before_an_unreadable_one_come_first(tmp_path: Path) -> None:
    path = tmp_path / "open_quote.csv"
    path.write_text('a,b\n1,2\n3,4\n"5,6\n', encoding="utf-8")
    blocks = open_sheet(path).blocks(100)
    assert next(blocks).cells == [["1", "2"], ["3", "4"]]
    with pytest.raises(SheetError):
        next(blocks)
