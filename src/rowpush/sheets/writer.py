"""Write a table (templates, exports, results workbooks) as XLSX or CSV.

The format follows the file's suffix:
- `.xlsx`: a plain table (no column has a note or choices: a results workbook) by
  the streaming writer `plain_xlsx_writer`, the others by openpyxl in write-only mode, so a
  large export streams too. Bold, frozen header row; a note on each header (description, "Required",
  example); a dropdown on each column with choices; column widths fitted to the
  header and the first rows; `meta` in the hidden `_rowpush` sheet; then
  `extra_sheets`. A table longer than Excel's row limit continues on
  "<title> (2)", "<title> (3)", … with the header repeated.
- `.csv`: UTF-8 with a BOM (so Excel detects the encoding), comma-delimited.
  Notes, dropdowns, `meta` and `extra_sheets` have no place there and are left out.

No string written becomes a formula (see `rowpush.sheets.cells`). The file is
written to a temporary name next to `path` and renamed when complete, so a
failure never leaves half a file behind.

Nothing here knows about targets: callers describe columns with `ColumnSpec`
(`rowpush.sheets.table`). The formats are written by `csv_writer` and `xlsx_writer`.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TypedDict

from rowpush.errors import SheetError
from rowpush.sheets.cell_blocks import CellBlock, CellBlocks
from rowpush.sheets.csv_writer import write_csv
from rowpush.sheets.plain_xlsx_writer import write_plain_xlsx
from rowpush.sheets.table import ColumnSpec

__all__ = [
    "MAX_COLUMN_WIDTH",
    "MAX_ROWS",
    "WIDTH_SAMPLE_ROWS",
    "write_table",
]

#: Rows an XLSX sheet may hold, header included (Excel's limit). Tests patch it smaller.
MAX_ROWS = 1_048_576
#: Rows (after the header) looked at to fit column widths.
WIDTH_SAMPLE_ROWS = 200
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60


def write_table(
    path: Path,
    columns: Sequence[ColumnSpec | str],
    rows: Iterable[Sequence[object]] | CellBlocks,
    *,
    sheet_title: str = "Sheet1",
    meta: Mapping[str, str] | None = None,
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]] = (),
) -> int:
    """Write `columns` and `rows` to `path` (.xlsx or .csv); return the data rows written.

    Cell values may be str, int, float, Decimal, bool, date, datetime, time,
    timedelta or None (blank); anything else is written as its `str()`. A row
    longer than `columns` is a `ValueError` (a caller's bug); a shorter one
    leaves the remaining cells blank. `rows` may come as `CellBlocks` (a long table:
    the XLSX writer makes them a block at a time; the others take them row by row).
    """
    path = Path(path)
    specs = [c if isinstance(c, ColumnSpec) else ColumnSpec(c) for c in columns]
    if not specs:
        raise ValueError("write_table needs at least one column")
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise SheetError(
            f"{path}: rowpush cannot write {suffix or 'files without an extension'}.",
            hint="Name the output file .xlsx (Excel workbook) or .csv.",
        )
    if MAX_ROWS < 2:  # tests make it small: a page must hold the header and a row
        raise ValueError("max_rows must leave room for a header and a data row")
    blocks = None
    if isinstance(rows, CellBlocks):
        if len(rows.typers) != len(specs):
            raise ValueError(f"{len(rows.typers)} typers for {len(specs)} columns")
        blocks = CellBlocks(rows.typers, _checked_blocks(rows.blocks, len(specs)))
        rows = blocks.rows()
    checked = _checked_rows(rows, len(specs))
    with _replacing(path) as tmp:
        if suffix == ".csv":
            return write_csv(tmp, specs, checked)
        layout: _Layout = {
            "sheet_title": sheet_title,
            "meta": meta or {},
            "extra_sheets": extra_sheets,
            "max_rows": MAX_ROWS,
            "sample_rows": WIDTH_SAMPLE_ROWS,
            "widths": (MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH),
        }
        if all(not spec.note() and not spec.choices for spec in specs):
            # A plain table (a results workbook): the streaming writer, µs a row
            kinds = [spec.kind for spec in specs]
            headers = [spec.header for spec in specs]
            plain = checked if blocks is None else blocks
            return write_plain_xlsx(tmp, headers, plain, kinds=kinds, **layout)
        # Deferred: xlsx_writer loads openpyxl, which `import rowpush.sheets` must not.
        from rowpush.sheets import xlsx_writer

        return xlsx_writer.write_xlsx(tmp, specs, checked, **layout)


class _Layout(TypedDict):
    """What both XLSX writers are told besides the columns and rows."""

    sheet_title: str
    meta: Mapping[str, str]
    extra_sheets: Sequence[tuple[str, Sequence[Sequence[object]]]]
    max_rows: int
    sample_rows: int
    widths: tuple[int, int]


def _checked_rows(rows: Iterable[Sequence[object]], width: int) -> Iterator[Sequence[object]]:
    for index, row in enumerate(rows):
        if len(row) > width:
            raise ValueError(f"data row {index + 1} has {len(row)} values for {width} columns")
        yield row


def _checked_blocks(blocks: Iterable[CellBlock], width: int) -> Iterator[CellBlock]:
    for block in blocks:
        if len(block.columns) != width:  # typers are given per column: all of them
            raise ValueError(f"a block has {len(block.columns)} columns for {width}")
        yield block


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary path next to `path`, renamed onto it when the block succeeds."""
    # Not mkstemp: its file is private (0600) and would stay so after the rename.
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        tmp.touch(exist_ok=False)  # fail on the folder before any work is done
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    try:
        yield tmp
        tmp.replace(path)
    except OSError as exc:
        raise _cannot_write(path, exc) from exc
    finally:
        tmp.unlink(missing_ok=True)


def _cannot_write(path: Path, exc: OSError) -> SheetError:
    if not path.parent.is_dir():
        return SheetError(
            f"{path}: cannot write the file: the folder {path.parent} does not exist.",
            hint="Create the folder or choose another output path.",
        )
    return SheetError(
        f"{path}: cannot write the file ({exc.strerror or exc}).",
        hint="Close it if it is open in Excel, check the folder's permissions, and try again.",
    )
