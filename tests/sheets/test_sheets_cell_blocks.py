"""A table given as `CellBlocks` is written exactly as the same rows given one by one:
XLSX part for part (cells made column by column, typed per distinct text, shared values
once), and CSV byte for byte."""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

import rowpush.sheets.writer as writer_module
from rowpush.sheets import ColumnSpec, write_table
from rowpush.sheets.cell_blocks import CellBlock, CellBlocks, Same
from rowpush.sheets.formats import ColumnKind

ODD: list[object] = [
    "=1+2",
    "00123",
    "a\x01b",
    "x" * 300,
    " lead",
    "a&b<c>",
    10**16,
    float("nan"),
    1.5,
    True,
    datetime(2026, 1, 1, 9, tzinfo=UTC),
    datetime(1899, 12, 31),
    datetime(2026, 1, 1, 9),
    date(2026, 1, 2),
    time(9, 30),
    timedelta(hours=30),
    Decimal("1.25"),
    None,
    "",
    7,
]
UNHASHABLE = ["a", 1]  # written as its text; its block goes row by row


def _typer(value: object) -> object:
    """Text as read → a number where it is one (the results writer's `as_written` kind)."""
    if isinstance(value, str) and value.isdigit() and not value.startswith("0"):
        return int(value)
    return value


def _blocks() -> list[CellBlock]:
    blocks = []
    n = 0
    for size in (3, 1, 8, 5, 13, 2, 9, 21, 4):
        rows = range(n, n + size)
        blocks.append(
            CellBlock(
                size,
                [
                    # repeats: shared strings, new ones later on too
                    [f"acct-{r % 3 if r < 30 else r % 9}" for r in rows],
                    [str(r % 5 + 1) if r % 4 else "00123" for r in rows],  # typed text
                    [UNHASHABLE if r in (5, 64) else ODD[r % len(ODD)] for r in rows],
                    list(rows),  # numbers, new each row
                    # unique text, inline, but for some text the table holds by then
                    [f"{r:08x}-uid" if r % 6 else f"acct-{r % 9}" for r in rows],
                    Same(["ok", "=SUM(A1)", None, 200, f"new-{n}"][len(blocks) % 5]),
                    Same(datetime(2026, 2, 1, 9) + timedelta(seconds=len(blocks))),
                ],
            )
        )
        n += size
    return blocks


COLUMNS = [
    ColumnSpec("account", kind=ColumnKind.TEXT),
    "n",
    "odd",
    ColumnSpec("row", kind=ColumnKind.INTEGER),
    "id",
    "status",
    "at",
]
TYPERS = [None, _typer, None, None, None, None, None]


def _rows() -> list[list[object]]:
    rows = []
    for block in _blocks():
        columns = [[c.value] * block.size if isinstance(c, Same) else c for c in block.columns]
        for values in zip(*columns, strict=True):
            rows.append([v if t is None else t(v) for t, v in zip(TYPERS, values, strict=True)])
    return rows


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {name: book.read(name) for name in book.namelist()}


@pytest.mark.parametrize(
    ("sample", "page"), [(2, 1_048_576), (0, 1_048_576), (12, 1_048_576), (4, 7)]
)
def test_blocks_write_the_same_xlsx_as_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: int, page: int
) -> None:
    monkeypatch.setattr(writer_module, "WIDTH_SAMPLE_ROWS", sample)
    monkeypatch.setattr(writer_module, "MAX_ROWS", page)
    by_blocks, by_rows = tmp_path / "blocks.xlsx", tmp_path / "rows.xlsx"
    meta = {"kind": "test"}
    written = write_table(by_blocks, COLUMNS, CellBlocks(TYPERS, _blocks()), meta=meta)
    assert written == write_table(by_rows, COLUMNS, _rows(), meta=meta) == 66
    assert _parts(by_blocks) == _parts(by_rows)
    first = load_workbook(by_blocks).worksheets[0]
    cells = list(first.iter_rows(min_row=2, max_row=4))
    assert [c.value for c in cells[0]][:4] == ["acct-0", "00123", "=1+2", 0]
    assert cells[0][2].data_type == "s"  # a formula's text stays text
    assert cells[1][1].value == 2  # typed by the column's typer


def test_blocks_write_the_same_csv_as_rows(tmp_path: Path) -> None:
    by_blocks, by_rows = tmp_path / "blocks.csv", tmp_path / "rows.csv"
    write_table(by_blocks, COLUMNS, CellBlocks(TYPERS, _blocks()))
    write_table(by_rows, COLUMNS, _rows())
    assert by_blocks.read_bytes() == by_rows.read_bytes()


def test_a_block_wider_than_the_columns_is_refused(tmp_path: Path) -> None:
    wide = CellBlock(1, [[1], [2]])
    with pytest.raises(ValueError, match="2 columns for 1"):
        write_table(tmp_path / "x.xlsx", ["a"], CellBlocks([None, None][:1], [wide]))
