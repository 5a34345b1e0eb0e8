"""Open a CSV or XLSX file as a `Sheet`: its headers, then its data rows as a stream.

Light on purpose: both readers need the standard library only (csv and zipfile).

Rules shared by both formats:
- the header row is the first non-blank row (normally row 1); rows are numbered
  as the user sees them (a blank line in between still counts);
- fully blank (or whitespace-only) rows are skipped; a short row is padded with "";
- a blank header cell between named columns, or two headers equal after
  `normalize_header`, is a `SheetError`; blank header cells before the first or
  after the last named column are ignored, but a value under one is a
  `SheetError` naming the row and column (so that no data is dropped silently);
- a cell longer than Excel's 32,767 characters is a `SheetError` naming its row
  and column: Excel would cut it, and so would the results workbook.

`rowpush.sheets.table` (`build_layout`, `HeaderLayout.make_row`) applies the
header and row rules for both formats.
"""

from __future__ import annotations

from pathlib import Path

from rowpush.errors import SheetError
from rowpush.sheets import csv_reader, xlsx_reader
from rowpush.sheets.table import CSV_SUFFIXES, XLSX_SUFFIXES, Sheet

__all__ = ["check_readable", "open_sheet"]

_SUPPORTED = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)


def open_sheet(path: Path, sheet: str | None = None) -> Sheet:
    """Open `path` (.csv, .tsv, .xlsx, .xlsm) and read its header row.

    For XLSX, `sheet` names the sheet to read; by default the first visible one.
    Raises `SheetError` with a message naming the file and what to do.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise SheetError(
            f"{path}: this is an old Excel 97-2003 workbook (.xls), which rowpush does not read.",
            hint="Open it in Excel and save it as 'Excel Workbook (.xlsx)', or as 'CSV UTF-8'.",
        )
    if suffix not in CSV_SUFFIXES + XLSX_SUFFIXES:
        raise SheetError(
            f"{path}: rowpush cannot read {suffix or 'files without an extension'}.",
            hint=f"Save the sheet as one of: {_SUPPORTED}.",
        )
    check_readable(path)
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise SheetError(
                f"{path}: a CSV file has no sheets, so sheet {sheet!r} cannot be chosen.",
                hint="Leave out the sheet name, or save the workbook as .xlsx.",
            )
        return csv_reader.open_csv(path)
    return xlsx_reader.open_xlsx(path, sheet)


def check_readable(path: Path) -> None:
    """Raise `SheetError` unless `path` is an existing, readable, non-empty file."""
    if not path.exists():
        raise SheetError(f"{path}: no such file.", hint="Check the file name and the folder.")
    if path.is_dir():
        raise SheetError(
            f"{path}: this is a folder, not a spreadsheet file.",
            hint=f"Give the path of a {_SUPPORTED} file inside it.",
        )
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise SheetError(
            f"{path}: cannot be opened ({exc.strerror or exc}).",
            hint="Check its permissions, and close it in any program that locks it.",
        ) from exc
    if size == 0:
        raise SheetError(
            f"{path}: the file is empty.",
            hint="Put the column headers in row 1 and one record per row below them.",
        )
