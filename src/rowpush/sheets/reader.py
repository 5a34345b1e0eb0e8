"""Open a CSV or XLSX file as a `Sheet`: its headers, then its data rows as a stream.

Light on purpose: pandas and python-calamine are imported by `csvfile` and
`xlsxfile`, which `open_sheet` loads only for the format it meets.

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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Protocol, cast

from rowpush.errors import SheetError
from rowpush.model import CellValue, RawRow, column_letter
from rowpush.sheets.cells import MAX_CELL_CHARS

__all__ = [
    "CSV_SUFFIXES",
    "XLSX_SUFFIXES",
    "Sheet",
    "normalize_header",
    "open_sheet",
]

CSV_SUFFIXES = (".csv", ".tsv")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
_SUPPORTED = ", ".join(CSV_SUFFIXES + XLSX_SUFFIXES)


class RowSource(Protocol):
    """What a format module hands to `Sheet`: a way to read the data rows again."""

    def rows(self) -> Iterator[RawRow]: ...


class Sheet:
    """One table read from a file: its headers, and its data rows on demand.

    `rows()` streams the data rows from the start each time it is called; it may
    raise `SheetError` part-way through (a value under no header, a CSV row with
    more cells than the header).
    """

    def __init__(
        self,
        path: Path,
        *,
        name: str | None,
        layout: HeaderLayout,
        target: str | None,
        source: RowSource,
    ) -> None:
        self.path = path
        self.name = name
        """The XLSX sheet read; None for CSV."""
        self.headers = list(layout.headers)
        """Header cells as written, trimmed, in column order (blank ones left out)."""
        self.target = target
        """Target name recorded in the hidden `_rowpush` sheet, if any."""
        self.letters = dict(zip(layout.headers, layout.letters, strict=True))
        """Header → column letter ("C"), for messages that point at a column."""
        self.header_row = layout.row
        """Row number of the header row (1 unless blank rows precede it)."""
        self._source = source

    def rows(self) -> Iterator[RawRow]:
        """The data rows, streamed from the start of the file."""
        return self._source.rows()

    def __repr__(self) -> str:
        where = f"{self.path}" if self.name is None else f"{self.path} [{self.name}]"
        return f"<Sheet {where}: {len(self.headers)} columns>"


def normalize_header(text: str) -> str:
    """A header as compared when matching: trimmed, inner whitespace collapsed, casefolded."""
    return " ".join(text.split()).casefold()


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
        from rowpush.sheets import csvfile

        return csvfile.open_csv(path)
    from rowpush.sheets import xlsxfile

    return xlsxfile.open_xlsx(path, sheet)


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


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """Where the named columns are: the header row and each header's cell index."""

    row: int
    """1-based row number of the header row."""
    headers: tuple[str, ...]
    positions: tuple[int, ...]
    """Index of each header's cell within a row as the format module reads it."""
    letters: tuple[str, ...]
    width: int
    """Number of cells the header row spans (named or not)."""
    col_offset: int = 0
    """Column index (0-based) of a row's first cell: cell i is in column col_offset + i."""

    def make_row(self, row: int, cells: Sequence[CellValue], where: str) -> RawRow | None:
        """The `RawRow` for one data row's cells, or None when the row is blank.

        Raises `SheetError` for a value in a column that has no header, or a cell
        longer than Excel's `MAX_CELL_CHARS`.
        """
        # Hot path: runs once per row. Named columns are contiguous (build_layout
        # refuses a gap), so cells outside [first, end) are the headerless ones.
        for cell in cells:
            if not isinstance(cell, str) or cell.strip():
                break
        else:
            return None
        first, end = self.positions[0], self.positions[-1] + 1
        for i in chain(range(min(first, len(cells))), range(end, len(cells))):
            cell = cells[i]
            if not isinstance(cell, str) or cell.strip():
                letter = column_letter(self.col_offset + i)
                raise SheetError(
                    f"{where}: row {row}, column {letter} holds {text_preview(cell)} "
                    f"but that column has no header.",
                    hint=f"Add a header in {letter}{self.row}, or clear the column.",
                )
        named = list(cells[first:end])
        try:
            # C speed for the usual all-text row
            longest = max(map(len, cast("list[str]", named)), default=0)
        except TypeError:  # a date cell (XLSX)
            longest = max((len(c) for c in named if isinstance(c, str)), default=0)
        if longest > MAX_CELL_CHARS:
            raise self._too_long(row, named, where)
        if len(named) < len(self.headers):
            named.extend([""] * (len(self.headers) - len(named)))
        return RawRow(row=row, values=dict(zip(self.headers, named, strict=True)))

    def _too_long(self, row: int, named: Sequence[CellValue], where: str) -> SheetError:
        sizes = [len(c) if isinstance(c, str) else 0 for c in named]
        i = next(i for i, size in enumerate(sizes) if size > MAX_CELL_CHARS)
        size = sizes[i]
        letter, header = self.letters[i], self.headers[i]
        return SheetError(
            f"{where}: row {row}, column {letter} ({text_preview(header)}) holds {size:,} "
            f"characters, more than a cell can (Excel's limit: {MAX_CELL_CHARS:,}), so it "
            f"would be cut short in Excel and in the results workbook.",
            hint=f"Shorten the value in {letter}{row}, or split it across columns.",
        )


def build_layout(
    cells: Sequence[str], *, row: int, where: str, col_offset: int = 0
) -> HeaderLayout:
    """Check a header row and describe it.

    `cells` are the header row's cells as text; `col_offset` is the column index
    of `cells[0]` (an XLSX table may start right of column A).
    """
    trimmed = [c.strip().lstrip("\ufeff").strip() for c in cells]
    named = [i for i, c in enumerate(trimmed) if c]
    for i in named:
        if len(trimmed[i]) > MAX_CELL_CHARS:
            letter = column_letter(col_offset + i)
            raise SheetError(
                f"{where}: the header of column {letter} ({text_preview(trimmed[i])}) holds "
                f"{len(trimmed[i]):,} characters, more than a cell can (Excel's limit: "
                f"{MAX_CELL_CHARS:,}).",
                hint=f"Type a short header in {letter}{row}; is row {row} really the header row?",
            )
    if not named:
        raise SheetError(
            f"{where}: no header row (every cell of row {row} is blank).",
            hint="Put the column headers in row 1.",
        )
    first, last = named[0], named[-1]
    for i in range(first, last + 1):
        if not trimmed[i]:
            letter = column_letter(col_offset + i)
            raise SheetError(
                f"{where}: column {letter} has no header (cell {letter}{row} is blank) "
                f"but columns on both sides do.",
                hint=f"Type a header in {letter}{row}, or delete column {letter}.",
            )
    seen: dict[str, int] = {}
    for i in named:
        key = normalize_header(trimmed[i])
        if key in seen:
            j = seen[key]
            a, b = column_letter(col_offset + j), column_letter(col_offset + i)
            raise SheetError(
                f"{where}: columns {a} ({text_preview(trimmed[j])}) and {b} "
                f"({text_preview(trimmed[i])}) have the same header.",
                hint="Rename or delete one of them: each header must be unique.",
            )
        seen[key] = i
    return HeaderLayout(
        row=row,
        headers=tuple(trimmed[i] for i in named),
        positions=tuple(named),
        letters=tuple(column_letter(col_offset + i) for i in named),
        width=len(cells),
        col_offset=col_offset,
    )


def text_preview(value: CellValue, limit: int = 40) -> str:
    """A short quoted rendering of a cell value for a message."""
    text = value if isinstance(value, str) else value.isoformat()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return repr(text)
